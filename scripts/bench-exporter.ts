// Exporter cost: CPU of the exporter process per node at its interval, and the extra CPU its RPC calls cost
// the nodes (node CPU with the exporter running minus with it stopped).
//   npx tsx scripts/bench-exporter.ts [--size 10] [--window 60] [--interval 10]
// Runs under the label netlab.stack=b-exporter and removes everything at the end, also on failure.
import Docker from "dockerode";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { stringify } from "yaml";
import { down, planFromFile, sleep, up } from "../tests/rig/index.js";

const STACK = { stack: "b-exporter", subnet: "10.77.56.0/24", portBase: 28500 };
const docker = new Docker();

const whole = (text: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError("must be a whole number of at least 1");
  return value;
};

/** Cumulative CPU time (ns) of containers, read together. */
async function cpuNs(containers: string[]): Promise<number> {
  const stats = await Promise.all(containers.map((name) => docker.getContainer(name).stats({ stream: false })));
  return stats.reduce((sum, s) => sum + s.cpu_stats.cpu_usage.total_usage, 0);
}

async function windowCpu(containers: string[], seconds: number): Promise<number> {
  const before = await cpuNs(containers);
  const t0 = process.hrtime.bigint();
  await sleep(seconds * 1000);
  const after = await cpuNs(containers);
  const elapsed = Number(process.hrtime.bigint() - t0);
  return ((after - before) / elapsed) * 100; // percent of one core
}

async function main(): Promise<void> {
  const options = new Command("bench-exporter")
    .option("--size <n>", "nodes in the generated lab", whole, 10)
    .option("--window <seconds>", "length of each measured window", whole, 60)
    .option("--interval <seconds>", "exporter interval", whole, 10)
    .parse()
    .opts<{ size: number; window: number; interval: number }>();
  const scratch = mkdtempSync(join(tmpdir(), "netlab-bench-exporter-"));
  const stateDir = join(scratch, "state");
  const topology = join(scratch, "lab.yaml");
  writeFileSync(topology, stringify({ name: `bench-exporter-${options.size}`, chain: "regtest", generator: { model: "barabasi-albert", size: options.size, m: 2, seed: 3, miners: 2 } }));
  try {
    await down(STACK.stack, { stateDir });
    const { plan, credentials } = planFromFile(topology, { ...STACK, metricsInterval: options.interval, stateDir });
    await up(plan, { credentials, stateDir, services: ["graphite", "exporter"] });
    const exporter = `${STACK.stack}-exporter`;
    const nodes = plan.nodes.map((n) => n.container);
    process.stderr.write(`bench-exporter: ${options.size}-node lab up; warming up for ${options.interval * 3} s\n`);
    await sleep(options.interval * 3000);

    const [exporterCpu, nodesWith, graphiteCpu] = await Promise.all([
      windowCpu([exporter], options.window),
      windowCpu(nodes, options.window),
      windowCpu([`${STACK.stack}-graphite`], options.window),
    ]);
    await docker.getContainer(exporter).stop();
    await sleep(options.interval * 1000);
    const nodesWithout = await windowCpu(nodes, options.window);

    const rows = [
      ["exporter process, whole lab", exporterCpu],
      ["exporter process, per node", exporterCpu / options.size],
      ["RPC work on the nodes, per node (with − without exporter)", (nodesWith - nodesWithout) / options.size],
      ["exporter + its RPC work, per node", (exporterCpu + nodesWith - nodesWithout) / options.size],
      ["graphite + statsd container", graphiteCpu],
    ] as const;
    process.stdout.write(`exporter cost, ${options.size} nodes, interval ${options.interval} s, ${options.window} s windows (% of one core)\n`);
    for (const [what, value] of rows) process.stdout.write(`${what.padEnd(60)} ${value.toFixed(3).padStart(8)} %\n`);
  } finally {
    await down(STACK.stack, { stateDir });
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-exporter: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
