// Viewer benchmark: a generated 50-node regtest lab (rig), then the time /api/graph takes to answer and the
// time one full poll of every node takes (what keeps the graph fresh).
//   npx tsx scripts/bench-viewer.ts [--size 50] [--requests 50]
// Runs under the label netlab.stack=b-viewer and removes everything at the end, also on failure.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Command, InvalidArgumentError } from "commander";
import { stringify } from "yaml";
import { planSource } from "../viewer/discover.js";
import { startViewer } from "../viewer/server.js";
import { down, planFromFile, up } from "../tests/rig/index.js";

const STACK = { stack: "b-viewer", subnet: "10.77.54.0/24", portBase: 28000 };

const whole = (text: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError("must be a whole number of at least 1");
  return value;
};

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const options = new Command("bench-viewer")
    .option("--size <n>", "nodes in the generated lab", whole, 50)
    .option("--requests <n>", "requests and polls to time", whole, 50)
    .parse()
    .opts<{ size: number; requests: number }>();
  const scratch = mkdtempSync(join(tmpdir(), "netlab-bench-viewer-"));
  const stateDir = join(scratch, "state");
  const topology = join(scratch, "lab.yaml");
  writeFileSync(topology, stringify({ name: `bench-viewer-${options.size}`, chain: "regtest", generator: { model: "barabasi-albert", size: options.size, m: 2, seed: 1, miners: 2 } }));
  let stop = async () => {};
  try {
    await down(STACK.stack, { stateDir });
    const { plan, credentials } = planFromFile(topology, { ...STACK, stateDir });
    const started = performance.now();
    await up(plan, { credentials, stateDir });
    process.stderr.write(`bench-viewer: ${options.size}-node lab up in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

    const viewer = await startViewer({ source: planSource(plan, credentials.password), pollIntervalMs: 3_600_000 });
    stop = () => viewer.close();
    await viewer.watcher.refresh();

    const polls: number[] = [];
    for (let i = 0; i < options.requests; i++) {
      const t = performance.now();
      const graph = await viewer.watcher.refresh();
      polls.push(performance.now() - t);
      if (graph.nodes.filter((n) => n.kind === "managed" && n.up).length !== options.size) throw new Error("a node did not answer during the benchmark");
    }
    const requests: number[] = [];
    for (let i = 0; i < options.requests; i++) {
      const t = performance.now();
      const response = await fetch(`${viewer.url}/api/graph`);
      await response.json();
      requests.push(performance.now() - t);
    }
    const row = (name: string, values: number[]) =>
      `${name.padEnd(34)} p50 ${percentile(values, 50).toFixed(1).padStart(7)} ms   p95 ${percentile(values, 95).toFixed(1).padStart(7)} ms   max ${Math.max(...values).toFixed(1).padStart(7)} ms`;
    process.stdout.write(`viewer, ${options.size}-node lab, ${options.requests} samples each\n`);
    process.stdout.write(`${row("GET /api/graph (latest poll)", requests)}\n`);
    process.stdout.write(`${row(`full poll of ${options.size} nodes + graph`, polls)}\n`);
  } finally {
    await stop();
    await down(STACK.stack, { stateDir });
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-viewer: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
