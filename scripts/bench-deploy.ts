// Deploy benchmark: how fast the rig brings up generated regtest labs, what a node costs idle, how fast a
// block crosses a hop, and the floor (the same containers with plain `docker run` + `addnode onetry`).
//   npx tsx scripts/bench-deploy.ts [--sizes 10,25,50] [--model barabasi-albert|ring] [--rounds 6] [--idle 20]
// Everything runs on this machine's Docker engine under the labels netlab.stack=b-rig / b-floor, and is
// removed at the end (also on failure or Ctrl-C). Traffic goes only to 127.0.0.1 and to these containers.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { Command, InvalidArgumentError } from "commander";
import { stringify } from "yaml";
import { CHAIN_PARAMS } from "../src/plan/chains.js";
import { buildPlan } from "../src/plan/plan.js";
import { generateRpcCredentials, type RpcCredentials } from "../src/plan/rpcauth.js";
import { stackSettings } from "../src/plan/stack.js";
import type { LabPlan } from "../src/plan/types.js";
import { loadTopology } from "../src/topology/load.js";
import { down, mapLimit, planFromFile, rpcClient, sleep, unconnectedEdges, up, type UpReport } from "../tests/rig/index.js";

const run = promisify(execFile);
const RIG = { stack: "b-rig", subnet: "10.77.51.0/24", portBase: 26000 };
const FLOOR = { stack: "b-floor", subnet: "10.77.52.0/24", portBase: 27000 };
export const CONCURRENCY = 6; // the rig's default; the floor gets the same
const repoRoot = resolve(import.meta.dirname, "..");

interface Options {
  sizes: number[];
  model: "barabasi-albert" | "ring";
  rounds: number;
  idle: number;
  floor: boolean;
}

interface Result {
  n: number;
  model: string;
  edges: number;
  rig: UpReport["timings"] & { toConnected: number };
  memoryMiB: { median: number; max: number; total: number };
  propagation: { perHopSlopeMs: number; perEdgeMedianMs: number; farthestMedianMs: number; maxDistance: number };
  floor: { runMs: number; connectedMs: number } | undefined;
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** `miners` (default 1): how many generated nodes mine (n1..). */
export function topologyYaml(n: number, model: Options["model"], miners = 1): string {
  return stringify({
    name: `bench-${model}-${n}`,
    chain: "regtest",
    defaults: { implementation: "knots", version: "29.4", resources: { memory: "192m" } },
    generator: { model, size: n, seed: 2017, miners, ...(model === "barabasi-albert" ? { m: 2 } : {}) },
  });
}

/** BFS hop counts from `start` over the lab's edges, taken as undirected (blocks flow both ways). */
function distances(plan: LabPlan, start: string): Map<string, number> {
  const neighbours = new Map<string, string[]>(plan.nodes.map((node) => [node.node, []]));
  for (const edge of plan.edges) {
    neighbours.get(edge.from)!.push(edge.to);
    neighbours.get(edge.to)!.push(edge.from);
  }
  const result = new Map([[start, 0]]);
  const queue = [start];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const next of neighbours.get(current)!) {
      if (!result.has(next)) {
        result.set(next, result.get(current)! + 1);
        queue.push(next);
      }
    }
  }
  return result;
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

/**
 * Mines blocks at alternating ends of the lab; each node's arrival is when its `waitfornewblock` long poll
 * answers (RPC straight to the container's address, not through the published port's proxy). Arrival times are
 * taken from the moment generatetoaddress is sent. Per hop: the slope of arrival over hop distance (independent
 * of when the miner itself reports the block: with compact blocks its peers already have it while it connects).
 */
async function propagation(plan: LabPlan, credentials: RpcCredentials, rounds: number): Promise<Result["propagation"]> {
  const rpcPort = CHAIN_PARAMS[plan.chain].rpcPort;
  const client = (name: string, wallet?: string) =>
    rpcClient(`${plan.nodes.find((node) => node.node === name)!.ip}:${rpcPort}`, credentials, wallet, plan.network.subnet);
  const first = plan.nodes.find((node) => node.role === "miner")!.node;
  const fromFirst = distances(plan, first);
  const farthest = [...fromFirst].sort((a, b) => b[1] - a[1])[0]![0];
  const address = await client(first, "miner").call<string>("getnewaddress");
  const points: [number, number][] = [];
  const perEdge: number[] = [];
  const farthestArrival: number[] = [];
  let maxDistance = 0;
  for (let round = 0; round < rounds; round++) {
    const miner = round % 2 === 0 ? first : farthest;
    const hops = distances(plan, miner);
    const tip = await client(miner).call<string>("getbestblockhash");
    const arrived = new Map<string, number>();
    const waits = plan.nodes.map((node) =>
      client(node.node)
        .call<{ hash: string }>("waitfornewblock", [30_000, tip])
        .then((answer) => {
          arrived.set(node.node, performance.now());
          return answer.hash;
        }),
    );
    await sleep(200 + 10 * plan.nodes.length);
    const sent = performance.now();
    const [hash] = await client(miner).call<string[]>("generatetoaddress", [1, address]);
    const seen = await Promise.all(waits);
    const late = plan.nodes.filter((_node, i) => seen[i] !== hash).map((node) => node.node);
    if (late.length > 0) throw new Error(`block ${hash} did not reach ${late.join(", ")} within 30 s`);
    for (const [name, at] of arrived) {
      const d = hops.get(name)!;
      maxDistance = Math.max(maxDistance, d);
      points.push([d, at - sent]);
    }
    for (const edge of plan.edges) {
      const [near, far] = hops.get(edge.from)! < hops.get(edge.to)! ? [edge.from, edge.to] : [edge.to, edge.from];
      if (hops.get(far)! - hops.get(near)! === 1) perEdge.push(arrived.get(far)! - arrived.get(near)!);
    }
    const deepest = Math.max(...hops.values());
    farthestArrival.push(Math.max(...[...arrived].filter(([name]) => hops.get(name) === deepest).map(([, at]) => at - sent)));
    await sleep(500);
  }
  return { perHopSlopeMs: slope(points), perEdgeMedianMs: median(perEdge), farthestMedianMs: median(farthestArrival), maxDistance };
}

/** Median and max resident memory of the stack's containers, from `docker stats --no-stream`. */
export async function idleMemory(plan: LabPlan): Promise<Result["memoryMiB"]> {
  const { stdout } = await run("docker", ["stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}", ...plan.nodes.map((node) => node.container)]);
  const unit: Record<string, number> = { B: 1 / 1024 ** 2, KiB: 1 / 1024, kB: 1 / 1024, MiB: 1, MB: 1, GiB: 1024, GB: 1024 };
  const values = stdout
    .trim()
    .split("\n")
    .map((line) => {
      const match = /^\S+\t([\d.]+)\s*([A-Za-z]+)/.exec(line);
      if (!match) throw new Error(`docker stats: cannot read "${line}"`);
      return Number(match[1]) * (unit[match[2]!] ?? Number.NaN);
    });
  return { median: median(values), max: Math.max(...values), total: values.reduce((a, b) => a + b, 0) };
}

/**
 * The floor: same image and bitcoind args, `docker run` each node, then `addnode … onetry` until connected.
 * `target`: the stack (name, subnet, port base) to run it as (default b-floor); the caller removes it.
 */
export async function floor(file: string, target: { stack: string; subnet: string; portBase: number } = FLOOR): Promise<NonNullable<Result["floor"]>> {
  const credentials = generateRpcCredentials();
  const plan = buildPlan(loadTopology(file), stackSettings(target.stack, { rpcAuth: credentials.auth, subnet: target.subnet, portBase: target.portBase }));
  const label = `netlab.stack=${target.stack}`;
  const started = performance.now();
  await run("docker", ["network", "create", "--label", label, "--subnet", plan.network.subnet, "--gateway", plan.network.gateway, plan.network.name]);
  await mapLimit(plan.nodes, CONCURRENCY, (node) =>
    run("docker", [
      "run", "-d", "--name", node.container, "--network", node.network, "--ip", node.ip, "--label", label,
      "--mount", `type=volume,source=${node.volume.name},target=${node.volume.containerPath},volume-label=${label}`,
      ...(node.memoryMb === undefined ? [] : ["--memory", `${node.memoryMb}m`]),
      node.image, ...node.command,
    ]),
  );
  const runMs = performance.now() - started;
  const containers = new Map(plan.nodes.map((node) => [node.node, node.container] as const));
  const deadline = Date.now() + 180_000;
  await mapLimit(plan.edges, CONCURRENCY, async (edge) => {
    const from = containers.get(edge.from)!;
    for (;;) {
      // onetry fails silently while the target is not listening yet: try again until the peer shows up.
      await run("docker", ["exec", from, "bitcoin-cli", "-rpcwait", "addnode", edge.target, "onetry"]);
      if ((await unconnectedEdges([edge], containers)).length === 0) return;
      if (Date.now() > deadline) throw new Error(`floor: edge ${edge.name} did not connect within 180 s`);
      await sleep(200);
    }
  });
  return { runMs, connectedMs: performance.now() - started };
}

async function cleanUp(stateDir: string): Promise<void> {
  await down(RIG.stack, { stateDir });
  await down(FLOOR.stack, { stateDir });
}

async function benchOne(n: number, options: Options, work: string, stateDir: string): Promise<Result> {
  const file = join(work, `bench-${options.model}-${n}.yaml`);
  writeFileSync(file, topologyYaml(n, options.model));
  process.stderr.write(`bench: N=${n} (${options.model}) — rig up\n`);
  const { plan, credentials } = planFromFile(file, { ...RIG, stateDir });
  const report = await up(plan, { credentials, stateDir, concurrency: CONCURRENCY });
  const rig = { ...report.timings, toConnected: report.timings.total - report.timings.bootstrap };
  process.stderr.write(`bench: N=${n} idle ${options.idle}s for memory\n`);
  await sleep(options.idle * 1000);
  const memoryMiB = await idleMemory(plan);
  process.stderr.write(`bench: N=${n} block propagation, ${options.rounds} blocks\n`);
  const prop = await propagation(plan, credentials, options.rounds);
  await down(RIG.stack, { stateDir });
  let floorResult: Result["floor"];
  if (options.floor) {
    process.stderr.write(`bench: N=${n} floor (plain docker run + addnode onetry)\n`);
    try {
      floorResult = await floor(file);
    } finally {
      await down(FLOOR.stack, { stateDir });
    }
  }
  return { n, model: options.model, edges: plan.edges.length, rig, memoryMiB, propagation: prop, floor: floorResult };
}

function table(results: Result[]): string {
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const header = [
    "N", "model", "edges", "create s", "healthy s", "edges s", "bootstrap s", "connect s", "rig total s",
    "rig w/o bootstrap s", "floor s", "ratio", "idle MiB med/max", "hop ms (slope)", "edge ms med", "farthest ms (hops)",
  ];
  const rows = results.map((r) => [
    String(r.n), r.model, String(r.edges), s(r.rig.containers), s(r.rig.healthy), s(r.rig.edges), s(r.rig.bootstrap), s(r.rig.connected),
    s(r.rig.total), s(r.rig.toConnected), r.floor ? s(r.floor.connectedMs) : "-",
    r.floor ? `${(r.rig.toConnected / r.floor.connectedMs).toFixed(2)}x` : "-",
    `${r.memoryMiB.median.toFixed(1)}/${r.memoryMiB.max.toFixed(1)}`,
    r.propagation.perHopSlopeMs.toFixed(1), r.propagation.perEdgeMedianMs.toFixed(1),
    `${r.propagation.farthestMedianMs.toFixed(1)} (${r.propagation.maxDistance})`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padStart(widths[i]!)).join("  ")).join("\n");
}

function sizes(value: string): number[] {
  const list = value.split(",").map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 3 || n > 200)) throw new InvalidArgumentError("sizes are whole numbers from 3 to 200, comma-separated");
  return list;
}

// Run as a script (not when another script imports the functions above).
const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const program = new Command("bench-deploy")
    .option("--sizes <list>", "lab sizes", sizes, [10, 25, 50])
    .option("--model <model>", "generator model: barabasi-albert or ring", "barabasi-albert")
    .option("--rounds <n>", "blocks mined for the propagation figures", (v) => Number.parseInt(v, 10), 6)
    .option("--idle <seconds>", "idle time before reading memory", (v) => Number.parseInt(v, 10), 20)
    .option("--no-floor", "skip the plain docker run floor")
    .parse();
  const options = program.opts<Options>();
  if (!["barabasi-albert", "ring"].includes(options.model)) program.error("--model must be barabasi-albert or ring");

  const work = mkdtempSync(join(tmpdir(), "netlab-bench-"));
  const stateDir = join(work, "state");
  let interrupted = false;
  process.once("SIGINT", () => {
    interrupted = true;
    process.stderr.write("bench: interrupted, cleaning up\n");
    void cleanUp(stateDir).finally(() => process.exit(130));
  });

  const results: Result[] = [];
  try {
    await cleanUp(stateDir); // leftovers of an interrupted run
    for (const n of options.sizes) {
      if (interrupted) break;
      results.push(await benchOne(n, options, work, stateDir));
      console.log(`\n${table(results)}\n`);
    }
  } finally {
    await cleanUp(stateDir);
    rmSync(work, { recursive: true, force: true });
    if (results.length > 0) {
      mkdirSync(join(repoRoot, "test-artifacts"), { recursive: true });
      const out = join(repoRoot, "test-artifacts", `bench-deploy-${options.model}.json`);
      writeFileSync(out, `${JSON.stringify({ measuredAt: new Date().toISOString(), cores: (await import("node:os")).cpus().length, results }, null, 2)}\n`);
      process.stderr.write(`bench: figures written to ${out}\n`);
    }
  }
}
