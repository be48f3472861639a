// netlab experiment propagation | partition | mining | stop: measurements on a running regtest lab, found by its
// Docker labels.
import { InvalidArgumentError, Option, type Command } from "commander";
import { resolve } from "node:path";
import { METHODS, type MethodName } from "../experiments/first-seen.js";
import { LabCommandError } from "../lab/docker.js";
import { parseGroup } from "../experiments/partition-analysis.js";
import { partitionSummary } from "../experiments/partition-report.js";
import { propagationSummary } from "../experiments/propagation-report.js";
import { miningSummary } from "../experiments/mining-report.js";
import { parseShares, type MinerShare } from "../experiments/schedule.js";
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

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "90", "90s", "1m30s", "500ms", "2h" → ms (a bare number is seconds). */
export function durationMs(text: string): number {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  const ms = /^\d+(\.\d+)?$/.test(trimmed)
    ? Number(trimmed) * 1000
    : parts.length > 0 && parts.map((part) => part[0]).join("") === trimmed
      ? parts.reduce((sum, part) => sum + Number(part[1]) * DURATION_UNITS_MS[part[2]!]!, 0)
      : Number.NaN;
  if (!(ms > 0)) throw new InvalidArgumentError(`"${text}" is not a duration above 0, such as 60s, 1m30s, 500ms or 90 (seconds).`);
  return Math.round(ms);
}

function shares(text: string): MinerShare[] {
  try {
    return parseShares(text);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}.`);
  }
}

function positiveNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !(value >= 0) || !Number.isFinite(value)) throw new InvalidArgumentError(`"${text}" is not a number of 0 or more.`);
  return value;
}

const progress = (line: string) => process.stderr.write(`netlab experiment: ${line}\n`);

export function addExperimentCommands(program: Command): void {
  const experiment = program
    .command("experiment")
    .description("measure how a running regtest lab behaves: block and transaction propagation, partition and heal, mining and traffic");

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
    .command("mining")
    .description(
      "miners find blocks at a target interval by hashrate share, wallets send transactions at a rate, for a set time; then count forks, stale blocks and where the transactions are (JSON + HTML report)",
    )
    .requiredOption("--stack <name>", "the running lab's stack")
    .option("--duration <time>", "how long the schedule runs, e.g. 60s, 5m (Ctrl-C stops early and still reports)", durationMs, 60_000)
    .option("--interval <time>", "mean time between blocks (exponential gaps)", durationMs, 10_000)
    .option("--tx-rate <n>", "transactions per second (Poisson), from wallets to fresh addresses", positiveNumber, 0)
    .option("--miners <shares>", "miners and hashrate shares, e.g. n1=3,n2=1 (default: the topology's hashrate, equal shares where none)", shares)
    .option("--seed <n>", "seed of the block times, miners and transactions", wholeNumber(0), 1)
    .option("--settle <time>", "how long the nodes may take to agree on one tip after the schedule", durationMs, 15_000)
    .option("--out <dir>", "directory for mining.json and mining.html (default: experiment-results/<stack>/mining-<time>)")
    .option("--detach", "run in the background: pid and log in the results directory; stop with `netlab experiment stop`")
    .action(
      async (options: { stack: string; duration: number; interval: number; txRate: number; miners?: MinerShare[]; seed: number; settle: number; out?: string; detach?: boolean }) => {
        const outDir = options.out === undefined ? defaultOutDir(options.stack, "mining") : resolve(options.out);
        const { releasePidFile, startDetached, LOG_FILE } = await import("../experiments/background.js");
        if (options.detach) {
          const args = ["experiment", "mining", "--stack", options.stack, "--duration", `${options.duration}ms`, "--interval", `${options.interval}ms`, "--tx-rate", String(options.txRate)];
          if (options.miners !== undefined) args.push("--miners", options.miners.map((m) => `${m.name}=${m.hashrate}`).join(","));
          args.push("--seed", String(options.seed), "--settle", `${options.settle}ms`, "--out", outDir);
          const pid = startDetached(outDir, args);
          process.stdout.write(`started in the background: pid ${pid}
results and log (${LOG_FILE}) in ${outDir}
stop it early with: netlab experiment stop ${outDir}
`);
          return;
        }
        const { runMining } = await import("../experiments/mining.js");
        const controller = new AbortController();
        const stop = (signal: string) => () => {
          progress(`${signal}: stopping the schedule, then writing the report`);
          controller.abort();
        };
        const onInt = stop("SIGINT");
        const onTerm = stop("SIGTERM");
        process.once("SIGINT", onInt);
        process.once("SIGTERM", onTerm);
        try {
          const { result, files } = await runMining({
            stack: options.stack,
            durationMs: options.duration,
            intervalMs: options.interval,
            txRate: options.txRate,
            seed: options.seed,
            shares: options.miners,
            settleMs: options.settle,
            outDir,
            log: progress,
            signal: controller.signal,
          });
          process.stdout.write(`${miningSummary(result)}
wrote ${files.json}
      ${files.html}
`);
        } finally {
          process.off("SIGINT", onInt);
          process.off("SIGTERM", onTerm);
          releasePidFile(outDir);
        }
      },
    );

  experiment
    .command("stop")
    .description("stop a background experiment (started with --detach): SIGTERM, after which it writes its report")
    .argument("[dir]", "the experiment's results directory")
    .option("--stack <name>", "stop every background experiment of this stack under experiment-results/<stack> (in the working directory)")
    .option("--timeout <seconds>", "how long to wait for it to write its report and end", wholeNumber(1, 3600), 120)
    .action(async (dir: string | undefined, options: { stack?: string; timeout: number }) => {
      const { runningIn, stopDetached } = await import("../experiments/background.js");
      if ((dir === undefined) === (options.stack === undefined)) throw new LabCommandError("name the results directory, or --stack (not both)");
      const dirs = dir === undefined ? runningIn(options.stack!) : [resolve(dir)];
      if (dirs.length === 0) throw new LabCommandError(`no background experiment of stack "${options.stack}" under ${resolve("experiment-results", options.stack!)}`);
      for (const target of dirs) {
        const pid = await stopDetached(target, options.timeout * 1000);
        process.stdout.write(`stopped pid ${pid}; report in ${target}
`);
      }
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
