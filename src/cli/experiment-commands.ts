// netlab experiment propagation | partition: measurements on a running regtest lab, found by its Docker labels.
import { InvalidArgumentError, Option, type Command } from "commander";
import { resolve } from "node:path";
import { METHODS, type MethodName } from "../experiments/first-seen.js";
import { LabCommandError } from "../lab/docker.js";
import { parseGroup } from "../experiments/partition-analysis.js";
import { partitionSummary } from "../experiments/partition-report.js";
import { propagationSummary } from "../experiments/propagation-report.js";
import { defaultOutDir } from "../experiments/util.js";

function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const value = Number(text);
    if (text.trim() === "" || !Number.isInteger(value) || value < min || value > max)
      throw new InvalidArgumentError(`"${text}" is not a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? " up" : ` to ${max}`}.`);
    return value;
  };
}

function nodeList(text: string): string[] {
  const names = parseGroup(text);
  if (names.length === 0) throw new InvalidArgumentError(`"${text}" names no node; give names separated by commas, e.g. n1,n2`);
  return names;
}

const progress = (line: string) => process.stderr.write(`netlab experiment: ${line}\n`);

export function addExperimentCommands(program: Command): void {
  const experiment = program
    .command("experiment")
    .description("measure how a running regtest lab behaves: block and transaction propagation, partition and heal");

  const methodOption = () =>
    new Option("--method <method>", "how first sightings are timed: zmq (each node's ZMQ publishers) or rpc (long polls and mempool polls)").choices(METHODS).default("zmq");
  const timeoutOption = () => new Option("--timeout <seconds>", "how long one step may take (a block reaching every node, the lab converging)").argParser(wholeNumber(1, 3600)).default(30);

  experiment
    .command("propagation")
    .description("mine blocks and send transactions one at a time; record when every node first saw each (JSON + HTML report)")
    .requiredOption("--stack <name>", "the running lab's stack")
    .option("--blocks <n>", "blocks to mine", wholeNumber(0, 1000), 5)
    .option("--txs <n>", "transactions to send", wholeNumber(0, 1000), 5)
    .option("--miner <node>", 'node that mines every block, or "random": a miner drawn per block', "random")
    .option("--seed <n>", "seed for the random miners, senders and receivers", wholeNumber(0), 1)
    .option("--out <dir>", "directory for propagation.json and propagation.html (default: experiment-results/<stack>/propagation-<time>)")
    .addOption(methodOption())
    .addOption(timeoutOption())
    .action(async (options: { stack: string; blocks: number; txs: number; miner: string; seed: number; out?: string; method: MethodName; timeout: number }) => {
      if (options.blocks + options.txs === 0) throw new LabCommandError("--blocks and --txs are both 0: nothing to measure");
      const { runPropagation } = await import("../experiments/propagation.js");
      const { result, files } = await runPropagation({
        stack: options.stack,
        blocks: options.blocks,
        txs: options.txs,
        miner: options.miner,
        seed: options.seed,
        outDir: options.out === undefined ? defaultOutDir(options.stack, "propagation") : resolve(options.out),
        method: options.method,
        timeoutMs: options.timeout * 1000,
        log: progress,
      });
      process.stdout.write(`${propagationSummary(result)}\nwrote ${files.json}\n      ${files.html}\n`);
    });

  experiment
    .command("partition")
    .description("cut a group of nodes off from the rest, mine on both sides, heal, and measure convergence and reorgs (JSON + HTML report)")
    .requiredOption("--stack <name>", "the running lab's stack")
    .requiredOption("--group <nodes>", "nodes cut off from the rest, comma-separated (each side needs a miner)", nodeList)
    .option("--blocks-each <n>", "blocks each side mines during the partition", wholeNumber(1, 500), 2)
    .option("--lead <n>", "extra blocks the winning side mines, so the heavier chain decides (equal work keeps both tips)", wholeNumber(1, 500), 1)
    .addOption(new Option("--winner <side>", "the side whose chain wins").choices(["group", "rest"]).default("rest"))
    .option("--hold <seconds>", "keep the sides apart this long after both agreed on their tips, before healing", wholeNumber(0, 86_400), 0)
    .option("--ban-seconds <n>", "how long the cut's bans last if the command is killed before it heals", wholeNumber(60, 86_400), 3600)
    .option("--out <dir>", "directory for partition.json and partition.html (default: experiment-results/<stack>/partition-<time>)")
    .addOption(methodOption())
    .addOption(timeoutOption())
    .action(
      async (options: { stack: string; group: string[]; blocksEach: number; lead: number; winner: "group" | "rest"; hold: number; banSeconds: number; out?: string; method: MethodName; timeout: number }) => {
        const { runPartition } = await import("../experiments/partition.js");
        const { result, files } = await runPartition({
          stack: options.stack,
          group: options.group,
          blocksEach: options.blocksEach,
          lead: options.lead,
          winner: options.winner,
          banSeconds: options.banSeconds,
          holdSeconds: options.hold,
          outDir: options.out === undefined ? defaultOutDir(options.stack, "partition") : resolve(options.out),
          method: options.method,
          timeoutMs: options.timeout * 1000,
          log: progress,
        });
        process.stdout.write(`${partitionSummary(result)}\nwrote ${files.json}\n      ${files.html}\n`);
      },
    );
}
