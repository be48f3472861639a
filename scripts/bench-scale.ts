// Scale benchmark: generated regtest labs of growing size, each deployed with the rig, then deploy time (against
// the plain `docker run` floor), idle memory per node, block propagation to every node (ZMQ first-seen) and the
// viewer's /api/graph and full-poll times. Prints one table; writes docs/scale.md and docs/scale.svg.
//   npx tsx scripts/bench-scale.ts [--sizes 10,50,100,200] [--model barabasi-albert] [--blocks 5] [--idle 20]
//                                  [--requests 20] [--no-floor] [--no-docs] [--render test-artifacts/bench-scale-<model>.json]
// Everything runs on this machine's Docker engine under the labels netlab.stack=b-scale / b-scale-plain (own subnets
// and ports, apart from bench-deploy's b-rig / b-floor and the tests' t-*), and is removed at the end, also on
// failure or Ctrl-C. Traffic goes only to 127.0.0.1 and to these containers. Regtest only.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { Command, InvalidArgumentError } from "commander";
import { WARMUP_LIMIT, warmUp, watchFirstSeen, type FirstSeen } from "../src/experiments/first-seen.js";
import type { Edge } from "../src/experiments/graph.js";
import { newAddress, type LabNode } from "../src/experiments/lab.js";
import { analysePropagation, type Observation } from "../src/experiments/propagation-analysis.js";
import { rpcClient as labRpcClient } from "../src/experiments/rpc.js";
import { localNeighbourLimit } from "../src/lab/neighbours.js";
import { CHAIN_PARAMS, ZMQ_PORTS } from "../src/plan/chains.js";
import type { RpcCredentials } from "../src/plan/rpcauth.js";
import { nodeCapacity } from "../src/plan/stack.js";
import type { LabPlan } from "../src/plan/types.js";
import { down, planFromFile, sleep, up } from "../tests/rig/index.js";
import { planSource } from "../viewer/discover.js";
import { startViewer } from "../viewer/server.js";
import { CONCURRENCY, floor, idleMemory, median, topologyYaml } from "./bench-deploy.js";

const run = promisify(execFile);
const SCALE = { stack: "b-scale", subnet: "10.77.60.0/24", portBase: 32000 };
const FLOOR = { stack: "b-scale-plain", subnet: "10.77.62.0/24", portBase: 34000 };
const MINERS = 2;
/** As the propagation experiment: a pause before each block, so the previous one's trailing messages are done. */
const SETTLE_MS = 150;
const BLOCK_TIMEOUT_MS = 60_000;
const WARMUP_TIMEOUT_MS = 15_000;
const repoRoot = resolve(import.meta.dirname, "..");

interface Options {
  sizes: number[];
  model: "barabasi-albert" | "ring";
  blocks: number;
  idle: number;
  requests: number;
  floor: boolean;
  docs: boolean;
  /** Raise the kernel's neighbour table limit (gc_thresh3) to this for the run, restoring it after. */
  arpLimit?: number;
}

/** A measurement of one size; a stage that failed is missing, with its error under `errors`. */
interface Result {
  n: number;
  edges: number;
  /** Rig phases in ms (containers, healthy, edges, bootstrap, connected, total) and total without bootstrap. */
  rig: { totalMs: number; toConnectedMs: number; phases: Record<string, number> };
  floor?: { runMs: number; connectedMs: number };
  memoryMiB?: { median: number; max: number; total: number };
  /** Per block: ms from generatetoaddress until 50 % / 100 % of the nodes announced it (ZMQ hashblock). */
  blocks?: { origin: string; p50Ms: number | null; p100Ms: number | null; maxHops: number }[];
  propagation?: { p100MedianMs: number; p100MinMs: number; p100MaxMs: number; p50MedianMs: number; maxHops: number; warmupBlocks: number };
  viewer?: { apiGraphP50Ms: number; apiGraphP95Ms: number; pollP50Ms: number; pollP95Ms: number; requests: number };
  /**
   * The kernel's IPv4 neighbour (ARP) table, one for all network namespaces on this kernel: the most entries seen
   * while this size ran (sampled every second), the hard limit gc_thresh3, and how often an entry could not be
   * allocated because the table was full (table_fulls, /proc/net/stat/arp_cache) during this size.
   */
  neighbour: { peakEntries: number; gcThresh3: number; tableFulls: number };
  errors: Partial<Record<"memory" | "propagation" | "viewer" | "floor", string>>;
}

/** The size could not be deployed at all. */
interface Failure {
  n: number;
  stage: string;
  error: string;
}

const log = (line: string) => process.stderr.write(`bench-scale: ${line}\n`);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The plan's nodes as the experiments see a lab: RPC straight to each node's lab address, ZMQ publishers. */
function labNodes(plan: LabPlan, credentials: RpcCredentials): LabNode[] {
  const port = CHAIN_PARAMS[plan.chain].rpcPort;
  return plan.nodes.map((node) => ({
    name: node.node,
    container: node.container,
    role: node.role,
    ip: node.ip,
    p2p: node.p2pAddress,
    rpc: labRpcClient({ host: node.ip, port, username: plan.rpcUser, password: credentials.password }, plan.network.subnet),
    wallet: node.role === "miner" ? "miner" : node.role === "wallet" ? "wallet" : undefined,
    zmq: { hashblock: `tcp://${node.ip}:${ZMQ_PORTS.hashblock}`, hashtx: `tcp://${node.ip}:${ZMQ_PORTS.hashtx}` },
  }));
}

/**
 * Block propagation as `netlab experiment propagation --txs 0 --method zmq` measures it (src/experiments): one ZMQ
 * subscriber per node, warm-up blocks until every feed has reported one, then per block a 150 ms pause, generatetoaddress 1
 * at the miner (alternating between the two miners) and the first hashblock of every node; the time to 100 % is
 * the last node's delay from the moment the RPC was sent (analysePropagation).
 */
async function blockPropagation(plan: LabPlan, credentials: RpcCredentials, blocks: number): Promise<Pick<Result, "blocks" | "propagation">> {
  const nodes = labNodes(plan, credentials);
  const names = nodes.map((node) => node.name);
  const miners = nodes.filter((node) => node.role === "miner");
  let watcher: FirstSeen | undefined;
  try {
    watcher = await watchFirstSeen(nodes, "zmq");
    const { blocks: warmups, silent } = await warmUp(watcher, miners[0]!, () => newAddress(miners[0]!), names, { timeoutMs: WARMUP_TIMEOUT_MS, log, limit: WARMUP_LIMIT });
    if (silent.length > 0) throw new Error(`no ZMQ notification of ${WARMUP_LIMIT} warm-up blocks from ${silent.length} node(s): ${silent.slice(0, 10).join(", ")}`);
    const observations: Observation[] = [];
    for (let i = 0; i < blocks; i++) {
      const origin = miners[i % miners.length]!;
      const address = await newAddress(origin);
      await sleep(SETTLE_MS);
      const submittedAt = Date.now();
      const sent = performance.now();
      const [hash] = await origin.rpc.call<string[]>("generatetoaddress", [1, address]);
      const seen = await watcher.waitAll(hash!, names, BLOCK_TIMEOUT_MS);
      const missing = names.filter((name) => !seen.has(name));
      if (missing.length > 0) throw new Error(`block ${hash} from ${origin.name} did not reach ${missing.length} node(s) within ${BLOCK_TIMEOUT_MS / 1000} s: ${missing.slice(0, 10).join(", ")}`);
      observations.push({ kind: "block", id: hash!, origin: origin.name, submittedAt, delays: Object.fromEntries(names.map((name) => [name, Math.max(0, seen.get(name)! - sent)])) });
    }
    const edges: Edge[] = plan.edges.map((edge) => ({ from: edge.from, to: edge.to }));
    const result = analysePropagation({
      stack: plan.stack, chain: plan.chain, startedAt: "", finishedAt: "", method: watcher.method,
      settings: { blocks, txs: 0, miner: "alternating", seed: 0, timeoutMs: BLOCK_TIMEOUT_MS },
      nodes: plan.nodes.map((node) => ({ name: node.node, role: node.role })), edges, observations,
    });
    const perBlock = result.items.map((item) => ({
      origin: item.origin,
      p50Ms: item.timeToMs.p50,
      p100Ms: item.timeToMs.p100,
      maxHops: Math.max(...Object.values(item.hops).map((hops) => hops ?? 0)),
    }));
    const p100 = perBlock.map((block) => block.p100Ms!);
    return {
      blocks: perBlock,
      propagation: {
        p100MedianMs: median(p100), p100MinMs: Math.min(...p100), p100MaxMs: Math.max(...p100),
        p50MedianMs: median(perBlock.map((block) => block.p50Ms!)), maxHops: Math.max(...perBlock.map((block) => block.maxHops)),
        warmupBlocks: warmups,
      },
    };
  } finally {
    await watcher?.close();
  }
}

/** As scripts/bench-viewer.ts: a viewer on the plan, then `requests` full polls and `requests` GET /api/graph. */
async function viewerTimes(plan: LabPlan, credentials: RpcCredentials, requests: number): Promise<Result["viewer"]> {
  const viewer = await startViewer({ source: planSource(plan, credentials.password), pollIntervalMs: 3_600_000 });
  try {
    await viewer.watcher.refresh();
    const polls: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t = performance.now();
      const graph = await viewer.watcher.refresh();
      polls.push(performance.now() - t);
      const upCount = graph.nodes.filter((node) => node.kind === "managed" && node.up).length;
      if (upCount !== plan.nodes.length) throw new Error(`viewer: ${plan.nodes.length - upCount} node(s) did not answer a poll`);
    }
    const gets: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t = performance.now();
      const response = await fetch(`${viewer.url}/api/graph`);
      await response.json();
      gets.push(performance.now() - t);
    }
    return { apiGraphP50Ms: percentile(gets, 50), apiGraphP95Ms: percentile(gets, 95), pollP50Ms: percentile(polls, 50), pollP95Ms: percentile(polls, 95), requests };
  } finally {
    await viewer.close();
  }
}

/** /proc/net/stat/arp_cache: entries (global, the same on every CPU's row) and table_fulls (per CPU, summed). */
function arpCache(): { entries: number; tableFulls: number } {
  try {
    const [header, ...lines] = readFileSync("/proc/net/stat/arp_cache", "utf8").trim().split("\n");
    const column = (name: string) => header!.split(/\s+/).indexOf(name);
    const rowsOf = lines.map((line) => line.trim().split(/\s+/).map((hex) => Number.parseInt(hex, 16)));
    return { entries: rowsOf[0]?.[column("entries")] ?? Number.NaN, tableFulls: rowsOf.reduce((sum, row) => sum + (row[column("table_fulls")] ?? 0), 0) };
  } catch {
    return { entries: Number.NaN, tableFulls: Number.NaN };
  }
}


const ARP_SYSCTLS = [1, 2, 3].map((i) => `/proc/sys/net/ipv4/neigh/default/gc_thresh${i}`);

/** Sets gc_thresh1/2/3 to limit/4, limit/2, limit (host-wide); returns what puts the old values back. */
function raiseArpLimit(limit: number | undefined): () => void {
  if (limit === undefined) return () => undefined;
  const old = ARP_SYSCTLS.map((file) => readFileSync(file, "utf8").trim());
  try {
    ARP_SYSCTLS.forEach((file, i) => writeFileSync(file, String(Math.floor(limit / 2 ** (2 - i)))));
  } catch (error) {
    throw new Error(`--arp-limit: cannot write ${ARP_SYSCTLS.join(", ")} (needs root): ${error instanceof Error ? error.message : String(error)}`);
  }
  log(`neighbour table limits raised to ${limit / 4}/${limit / 2}/${limit} (were ${old.join("/")}) for this run`);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    ARP_SYSCTLS.forEach((file, i) => writeFileSync(file, old[i]!));
    log(`neighbour table limits restored to ${old.join("/")}`);
  };
}

/** Containers labelled with the stack, by the engine the docker CLI talks to. */
async function labelled(stack: string): Promise<number> {
  const { stdout } = await run("docker", ["ps", "-aq", "--filter", `label=netlab.stack=${stack}`]);
  return stdout.split("\n").filter(Boolean).length;
}

/**
 * After a failed deploy, waits until the stack's container count has not changed for 10 s (at most 10 min): a
 * failed mapLimit leaves its other workers running their `docker run`s, and removing the network under them leaves
 * the engine with a stale endpoint count ("network … has active endpoints", until dockerd restarts).
 */
async function settle(stack: string): Promise<void> {
  const deadline = Date.now() + 600_000;
  let last = -1;
  let stableFor = 0;
  while (stableFor < 10 && Date.now() < deadline) {
    const count = await labelled(stack).catch(() => -1);
    stableFor = count === last ? stableFor + 1 : 0;
    last = count;
    await sleep(1000);
  }
}

/** `down`, tried up to 5 times; never throws (the failure is logged and the stack named in `leftovers`). */
const leftovers = new Set<string>();
async function removeStack(stack: string, stateDir: string): Promise<void> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      await down(stack, { stateDir });
      leftovers.delete(stack);
      return;
    } catch (error) {
      log(`removing stack ${stack} failed (attempt ${attempt} of 5): ${error instanceof Error ? error.message : String(error)}`);
      leftovers.add(stack);
      await sleep(5000);
    }
  }
}

/** Deploys one size; a failed deploy throws, a failed measurement after it is recorded in `errors`. */
async function benchOne(n: number, options: Options, work: string, stateDir: string, stage: { name: string }): Promise<Result> {
  const file = join(work, `scale-${options.model}-${n}.yaml`);
  writeFileSync(file, topologyYaml(n, options.model, MINERS));
  const arpAtStart = arpCache();
  let peakEntries = arpAtStart.entries;
  const sampler = setInterval(() => (peakEntries = Math.max(peakEntries, arpCache().entries)), 1000);
  const errors: Result["errors"] = {};
  const attempt = async <T>(name: keyof Result["errors"], what: () => Promise<T>): Promise<T | undefined> => {
    stage.name = name;
    try {
      return await what();
    } catch (error) {
      errors[name] = error instanceof Error ? error.message : String(error);
      log(`N=${n} ${name} failed: ${errors[name]}`);
      return undefined;
    }
  };
  try {
    stage.name = "rig up";
    log(`N=${n} (${options.model}, ${MINERS} miners) — rig up`);
    const { plan, credentials } = planFromFile(file, { ...SCALE, stateDir });
    // Generous timeouts: a slow start at large N should show up as a long time, not as a failure.
    const report = await up(plan, { credentials, stateDir, concurrency: CONCURRENCY, healthTimeoutMs: 900_000, edgeTimeoutMs: 900_000 });
    const { timings } = report;
    const rig = { totalMs: timings.total, toConnectedMs: timings.total - timings.bootstrap, phases: { ...timings } };
    const memoryMiB = await attempt("memory", async () => {
      log(`N=${n} idle ${options.idle} s, then docker stats`);
      await sleep(options.idle * 1000);
      return idleMemory(plan);
    });
    const propagation = await attempt("propagation", () => {
      log(`N=${n} block propagation (ZMQ first-seen), ${options.blocks} blocks`);
      return blockPropagation(plan, credentials, options.blocks);
    });
    const viewer = await attempt("viewer", () => {
      log(`N=${n} viewer: ${options.requests} full polls, ${options.requests} GET /api/graph`);
      return viewerTimes(plan, credentials, options.requests);
    });
    stage.name = "rig down";
    await removeStack(SCALE.stack, stateDir);
    const floorResult = !options.floor
      ? undefined
      : await attempt("floor", async () => {
          log(`N=${n} floor (plain docker run + addnode onetry)`);
          try {
            return await floor(file, FLOOR);
          } catch (error) {
            log(`N=${n} floor failed: ${error instanceof Error ? error.message : String(error)}; letting its docker run calls finish before removing it`);
            await settle(FLOOR.stack);
            throw error;
          } finally {
            await removeStack(FLOOR.stack, stateDir);
          }
        });
    return {
      n, edges: plan.edges.length, rig,
      ...(floorResult ? { floor: floorResult } : {}), ...(memoryMiB ? { memoryMiB } : {}), ...(propagation ?? {}), ...(viewer ? { viewer } : {}),
      neighbour: { peakEntries, gcThresh3: localNeighbourLimit() ?? Number.NaN, tableFulls: arpCache().tableFulls - arpAtStart.tableFulls },
      errors,
    };
  } finally {
    clearInterval(sampler);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Output: the table, docs/scale.md, docs/scale.svg.

const sec = (ms: number) => (ms / 1000).toFixed(1);
const msText = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

const COLUMNS = [
  "N", "edges", "rig total s", "rig to connected s", "floor s", "ratio", "idle MiB med/max", "idle GiB total",
  "block 100% ms med (min–max)", "block 50% ms med", "hops", "/api/graph ms p50", "full poll ms p50", "ARP entries peak (full)",
];

function rows(results: Result[], failures: Failure[]): string[][] {
  const failed = (r: Result, stage: keyof Result["errors"]) => (r.errors[stage] !== undefined ? "failed" : "-");
  const all: [number, string[]][] = results.map((r) => [
    r.n,
    [
      String(r.n), String(r.edges), sec(r.rig.totalMs), sec(r.rig.toConnectedMs),
      r.floor ? sec(r.floor.connectedMs) : failed(r, "floor"), r.floor ? `${(r.rig.toConnectedMs / r.floor.connectedMs).toFixed(2)}x` : "-",
      r.memoryMiB ? `${r.memoryMiB.median.toFixed(1)}/${r.memoryMiB.max.toFixed(1)}` : failed(r, "memory"), r.memoryMiB ? (r.memoryMiB.total / 1024).toFixed(2) : "-",
      r.propagation ? `${msText(r.propagation.p100MedianMs)} (${msText(r.propagation.p100MinMs)}–${msText(r.propagation.p100MaxMs)})` : failed(r, "propagation"),
      r.propagation ? msText(r.propagation.p50MedianMs) : "-", r.propagation ? String(r.propagation.maxHops) : "-",
      r.viewer ? msText(r.viewer.apiGraphP50Ms) : failed(r, "viewer"), r.viewer ? msText(r.viewer.pollP50Ms) : "-",
      `${r.neighbour.peakEntries}/${r.neighbour.gcThresh3} (${r.neighbour.tableFulls})`,
    ],
  ]);
  for (const f of failures) all.push([f.n, [String(f.n), `failed at ${f.stage}: ${f.error.split("\n")[0]!.slice(0, 160)}`, ...COLUMNS.slice(2).map(() => "")]]);
  return all.sort((a, b) => a[0] - b[0]).map(([, row]) => row);
}

function textTable(results: Result[], failures: Failure[]): string {
  const body = rows(results, failures);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...body.filter((row) => row[2] !== "").map((row) => row[i]!.length)));
  return [COLUMNS, ...body].map((row) => (row[2] === "" ? `${row[0]!.padStart(widths[0]!)}  ${row[1]}` : row.map((cell, i) => cell.padStart(widths[i]!)).join("  "))).join("\n");
}

function markdownTable(results: Result[], failures: Failure[]): string {
  const body = rows(results, failures);
  return [COLUMNS, COLUMNS.map((_, i) => (i === 0 ? "--:" : "--:")), ...body].map((row) => `| ${row.join(" | ")} |`).join("\n");
}

/** Round axis steps: 1, 2 or 5 times a power of ten, about `count` of them up to `max`. */
function ticks(max: number, count = 5): number[] {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw)!;
  const list: number[] = [];
  for (let v = 0; v <= max + step * 0.001; v += step) list.push(Number(v.toPrecision(12)));
  if (list.at(-1)! < max) list.push(list.at(-1)! + step);
  return list;
}

interface Series {
  label: string;
  colour: string;
  dash?: string;
  points: [number, number][];
  /** Optional vertical ranges (min, max) per point. */
  ranges?: [number, number, number][];
}

/** One chart; `failedAt`: sizes where the panel's measurement failed, marked on the x axis. */
function panel(x0: number, title: string, unit: string, series: Series[], xs: number[], failedAt: number[] = []): string {
  const width = 340;
  const height = 220;
  const left = x0 + 48;
  const top = 40;
  const plotW = width - 60;
  const plotH = height - 70;
  const yMax = Math.max(1e-9, ...series.flatMap((s) => [...s.points.map(([, y]) => y), ...(s.ranges ?? []).map(([, , hi]) => hi)]));
  const yTicks = ticks(yMax);
  const yTop = yTicks.at(-1)!;
  const xTicks = ticks(Math.max(...xs), 4);
  const xTop = xTicks.at(-1)!;
  const px = (x: number) => left + (x / xTop) * plotW;
  const py = (y: number) => top + plotH - (y / yTop) * plotH;
  const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  const parts: string[] = [];
  parts.push(`<text x="${x0 + width / 2}" y="20" text-anchor="middle" font-weight="bold">${title}</text>`);
  for (const v of yTicks) {
    parts.push(`<line x1="${left}" y1="${py(v).toFixed(1)}" x2="${left + plotW}" y2="${py(v).toFixed(1)}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${left - 6}" y="${(py(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`);
  }
  for (const v of xTicks) parts.push(`<text x="${px(v).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle">${fmt(v)}</text>`);
  parts.push(`<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#444"/>`);
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#444"/>`);
  parts.push(`<text x="${left + plotW / 2}" y="${top + plotH + 34}" text-anchor="middle">nodes (N)</text>`);
  for (const x of failedAt) {
    parts.push(`<text x="${px(x).toFixed(1)}" y="${top + plotH - 4}" text-anchor="middle" fill="#d62728" font-size="14">×</text>`);
    parts.push(`<text x="${px(x).toFixed(1)}" y="${top + plotH - 18}" text-anchor="end" fill="#666">failed at N=${x}</text>`);
  }
  parts.push(`<text transform="translate(${x0 + 12} ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${unit}</text>`);
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    for (const [x, lo, hi] of s.ranges ?? [])
      parts.push(`<line x1="${px(x).toFixed(1)}" y1="${py(lo).toFixed(1)}" x2="${px(x).toFixed(1)}" y2="${py(hi).toFixed(1)}" stroke="${s.colour}" stroke-width="1.5" opacity="0.6"/>`);
    const path = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ");
    parts.push(`<polyline points="${path}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`);
    for (const [x, y] of s.points) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.colour}"/>`);
    const ly = top + 6 + i * 15;
    parts.push(`<line x1="${left + 8}" y1="${ly}" x2="${left + 28}" y2="${ly}" stroke="${s.colour}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`);
    parts.push(`<text x="${left + 32}" y="${ly + 4}">${s.label}</text>`);
  });
  return parts.join("\n  ");
}

function svgChart(results: Result[], failures: Failure[], subtitle: string): string {
  const xs = [...results.map((r) => r.n), ...failures.map((f) => f.n)];
  const deploy: Series[] = [
    { label: "rig, total", colour: "#1f77b4", points: results.map((r) => [r.n, r.rig.totalMs / 1000]) },
    { label: "rig, to edges connected", colour: "#1f77b4", dash: "5 3", points: results.map((r) => [r.n, r.rig.toConnectedMs / 1000]) },
    { label: "floor (docker run + addnode)", colour: "#7f7f7f", dash: "2 3", points: results.filter((r) => r.floor).map((r) => [r.n, r.floor!.connectedMs / 1000]) },
  ];
  const measured = results.filter((r) => r.propagation);
  const propagation: Series[] = [
    {
      label: "100 % of nodes (median, min–max)",
      colour: "#d62728",
      points: measured.map((r) => [r.n, r.propagation!.p100MedianMs]),
      ranges: measured.map((r) => [r.n, r.propagation!.p100MinMs, r.propagation!.p100MaxMs]),
    },
    { label: "50 % of nodes (median)", colour: "#d62728", dash: "5 3", points: measured.map((r) => [r.n, r.propagation!.p50MedianMs]) },
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="720" height="270" viewBox="0 0 720 270" font-family="sans-serif" font-size="11">
  <rect width="720" height="270" fill="#fff"/>
  ${panel(0, "Deploy time", "seconds", deploy, xs, failures.map((f) => f.n))}
  ${panel(360, "Block propagation", "milliseconds", propagation, xs, [...results.filter((r) => !r.propagation).map((r) => r.n), ...failures.map((f) => f.n)])}
  <text x="360" y="262" text-anchor="middle" fill="#666">${subtitle}</text>
</svg>
`;
}

const NOTES_START = "<!-- notes: kept when the benchmark rewrites this file -->";
const NOTES_END = "<!-- /notes -->";

function keptNotes(file: string): string {
  if (!existsSync(file)) return "";
  const text = readFileSync(file, "utf8");
  const start = text.indexOf(NOTES_START);
  const end = text.indexOf(NOTES_END);
  return start >= 0 && end > start ? text.slice(start + NOTES_START.length, end).trim() : "";
}

interface Machine {
  cores: number;
  memoryGiB: number;
  kernel: string;
  docker: string;
  cpu: string;
}

function markdown(results: Result[], failures: Failure[], options: Options, machine: Machine, measuredAt: string, wallMs: number, notes: string): string {
  const command = `npx tsx scripts/bench-scale.ts --sizes ${options.sizes.join(",")} --model ${options.model}` +
    `${options.blocks !== 5 ? ` --blocks ${options.blocks}` : ""}${options.idle !== 20 ? ` --idle ${options.idle}` : ""}${options.requests !== 20 ? ` --requests ${options.requests}` : ""}${options.floor ? "" : " --no-floor"}${options.arpLimit ? ` --arp-limit ${options.arpLimit}` : ""}`;
  const facts: string[] = [];
  /** The first and the last size that have the figure, if they differ. */
  const span = <T>(pick: (r: Result) => T | undefined): [Result & { v: T }, Result & { v: T }] | undefined => {
    const have = results.flatMap((r) => (pick(r) === undefined ? [] : [{ ...r, v: pick(r)! }]));
    return have.length >= 2 ? [have[0]!, have.at(-1)!] : undefined;
  };
  const rig = span((r) => r.rig);
  if (rig) {
    const [a, b] = rig;
    facts.push(
      `- Rig total: ${sec(a.v.totalMs)} s at N=${a.n} → ${sec(b.v.totalMs)} s at N=${b.n} ` +
        `(${((b.v.totalMs - a.v.totalMs) / (b.n - a.n) / 1000).toFixed(2)} s per added node); to edges connected ${sec(a.v.toConnectedMs)} s → ${sec(b.v.toConnectedMs)} s.`,
    );
  }
  const floors = span((r) => r.floor);
  if (floors) {
    const [a, b] = floors;
    facts.push(`- Floor: ${sec(a.v.connectedMs)} s at N=${a.n} → ${sec(b.v.connectedMs)} s at N=${b.n}; rig/floor ratio ${(a.rig.toConnectedMs / a.v.connectedMs).toFixed(2)}x → ${(b.rig.toConnectedMs / b.v.connectedMs).toFixed(2)}x.`);
  }
  const memory = span((r) => r.memoryMiB);
  if (memory) {
    const [a, b] = memory;
    facts.push(`- Idle memory per node (median): ${a.v.median.toFixed(1)} MiB at N=${a.n} → ${b.v.median.toFixed(1)} MiB at N=${b.n}; the whole N=${b.n} lab ${(b.v.total / 1024).toFixed(2)} GiB.`);
  }
  const blocks = span((r) => r.propagation);
  if (blocks) {
    const [a, b] = blocks;
    facts.push(
      `- Block to 100 % of nodes (median): ${msText(a.v.p100MedianMs)} ms at N=${a.n} (≤ ${a.v.maxHops} hops) → ` +
        `${msText(b.v.p100MedianMs)} ms at N=${b.n} (≤ ${b.v.maxHops} hops).`,
    );
  }
  const viewers = span((r) => r.viewer);
  if (viewers) {
    const [a, b] = viewers;
    facts.push(`- Viewer: /api/graph p50 ${msText(a.v.apiGraphP50Ms)} → ${msText(b.v.apiGraphP50Ms)} ms; full poll p50 ${msText(a.v.pollP50Ms)} → ${msText(b.v.pollP50Ms)} ms (N=${a.n} → ${b.n}).`);
  }
  for (const r of results) {
    if (r.neighbour.tableFulls > 0)
      facts.push(`- N=${r.n}: the kernel's neighbour (ARP) table peaked at ${r.neighbour.peakEntries} entries against gc_thresh3=${r.neighbour.gcThresh3}; ${r.neighbour.tableFulls} allocations failed because it was full.`);
    for (const [stage, error] of Object.entries(r.errors)) facts.push(`- N=${r.n}: ${stage} failed: ${error.split("\n")[0]}`);
  }
  for (const f of failures) facts.push(`- N=${f.n} failed during ${f.stage}: ${f.error.split("\n")[0]}`);
  return `# Scale benchmark

How the lab behaves as it grows: generated regtest labs of ${options.sizes.join(", ")} Bitcoin Knots 29.4 nodes
(${options.model}${options.model === "barabasi-albert" ? ", m=2" : ""}, seed 2017, ${MINERS} miners n1 and n2, each node limited to 192 MiB), deployed
with the test rig (\`tests/rig\`), which applies the same plan as the Pulumi program.

- Measured: ${measuredAt}; the whole run took ${(wallMs / 60_000).toFixed(1)} min
- Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB.toFixed(0)} GiB RAM, Linux ${machine.kernel}, Docker ${machine.docker}
- Command: \`${command}\` (also \`npm run bench:scale -- …\`)
- Stacks: \`b-scale\` (10.77.60.0/24, RPC on 127.0.0.1:32000+i) and \`b-scale-plain\` for the floor (10.77.62.0/24), removed at the end
- Raw figures: \`test-artifacts/bench-scale-${options.model}.json\`

![Deploy time and block propagation against N](scale.svg)

${markdownTable(results, failures)}

## Columns and how they are measured

- **N**, **edges**: nodes, and declared edges of the generated topology (one outbound \`addnode\` each).
- **rig total s**: \`up()\` from start to return: network, volumes, containers (6 at a time), RPC answering on every
  node, one \`addnode\` command per edge, the bootstrap (wallets on both miners, 101 blocks at n1), every declared edge
  seen in \`getpeerinfo\`.
- **rig to connected s**: rig total minus the bootstrap phase: deploy until every edge is connected, the figure
  comparable with the floor (as in \`scripts/bench-deploy.ts\`).
- **floor s**: the same containers (image, bitcoind arguments, addresses, volume, memory limit) with plain
  \`docker network create\` + \`docker run -d\` (6 at a time), then \`docker exec … bitcoin-cli addnode <target> onetry\`
  repeated per edge until \`getpeerinfo\` shows it; from the network create until the last edge connected.
  bench-deploy's \`floor()\`, run after the rig's lab is removed. **ratio** = rig to connected / floor.
- **idle MiB med/max**, **idle GiB total**: ${options.idle} s after the deploy returned, one \`docker stats --no-stream\`
  of every node container (the cgroup's memory usage as Docker reports it): median and maximum per node, and the sum
  (bench-deploy's \`idleMemory()\`).
- **block 100% ms**: ZMQ first-seen, the method of \`netlab experiment propagation\` (\`src/experiments/first-seen.ts\`
  and \`propagation-analysis.ts\`): one ZMQ subscriber per node (\`hashblock\`) in the benchmark process, warm-up
  blocks (up to five) until every feed has reported one, then ${options.blocks} blocks, each after a 150 ms pause, mined with
  \`generatetoaddress 1\` alternately at n1 and n2; per block the time from sending the RPC until the last node's
  \`hashblock\` arrived (\`timeToMs.p100\`; the miner counts as a node). Median over the blocks, with min–max.
  **block 50% ms**: the same for half of the nodes. **hops**: the largest hop distance from the miner over the
  declared edges. Timestamps are taken in one Node.js process on the same 2 cores that run the nodes.
- **/api/graph ms p50**: the viewer (\`viewer/server.ts\`, started in-process on the rig's plan) answering
  \`GET /api/graph\` from its latest poll, ${options.requests} requests; **full poll ms p50**: one \`watcher.refresh()\`
  (RPC to every node through its published port, graph rebuilt), ${options.requests} polls, as
  \`scripts/bench-viewer.ts\` does.
- **ARP entries peak (full)**: entries of the kernel's IPv4 neighbour (ARP) table (\`/proc/net/stat/arp_cache\`), one
  table shared by the host and every container's network namespace: the most seen while the size ran (sampled every
  second), against the hard limit \`net.ipv4.neigh.default.gc_thresh3\`; in brackets how many times an entry could not
  be created because the table was full (\`table_fulls\`). Each container keeps an entry per peer it talks to, the host
  one per container: roughly 2 × edges + N (+ N for the containers' entries of the gateway, which answers RPC).
- A cell reads "failed" when that measurement failed at that size; the reason is listed below.

## What the numbers say

Computed from the table:

${facts.join("\n")}

${NOTES_START}
${notes}
${NOTES_END}
`;
}

// ---------------------------------------------------------------------------------------------------------------

function sizes(value: string): number[] {
  const capacity = nodeCapacity(SCALE.subnet);
  const list = value.split(",").map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 3 || n > capacity)) throw new InvalidArgumentError(`sizes are whole numbers from 3 to ${capacity}, comma-separated`);
  return list;
}

const whole = (text: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError("must be a whole number of at least 1");
  return value;
};

const program = new Command("bench-scale")
  .option("--sizes <list>", "lab sizes", sizes, [10, 50, 100, 200])
  .option("--model <model>", "generator model: barabasi-albert or ring", "barabasi-albert")
  .option("--blocks <n>", "blocks mined for the propagation figures", whole, 5)
  .option("--idle <seconds>", "idle time before reading memory", whole, 20)
  .option("--requests <n>", "viewer polls and /api/graph requests to time", whole, 20)
  .option("--no-floor", "skip the plain docker run floor")
  .option("--no-docs", "do not write docs/scale.md and docs/scale.svg")
  .option("--arp-limit <n>", "as root: raise net.ipv4.neigh.default.gc_thresh1/2/3 to n/4, n/2, n for the run (restored after); 200 nodes need about 1,400 entries", whole)
  .option("--render <json>", "measure nothing: write docs/scale.md and docs/scale.svg from a saved run (test-artifacts/bench-scale-<model>.json)")
  .parse();
const options = program.opts<Options & { render?: string }>();
if (!["barabasi-albert", "ring"].includes(options.model)) program.error("--model must be barabasi-albert or ring");

/** A run as saved in test-artifacts/bench-scale-<model>.json. */
interface Saved {
  measuredAt: string;
  wallMs: number;
  machine: Machine;
  options: Options;
  results: Result[];
  failures: Failure[];
}

function writeDocs(saved: Saved): void {
  const md = join(repoRoot, "docs", "scale.md");
  const date = saved.measuredAt.slice(0, 10);
  writeFileSync(md, markdown(saved.results, saved.failures, saved.options, saved.machine, `${date}, ${saved.measuredAt.slice(11, 16)} UTC`, saved.wallMs, keptNotes(md)));
  writeFileSync(join(repoRoot, "docs", "scale.svg"), svgChart(saved.results, saved.failures, `${saved.options.model}, regtest, Bitcoin Knots 29.4, ${saved.machine.cores} cores — ${date}`));
  log(`wrote ${md} and docs/scale.svg`);
}

async function measureAll(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "netlab-bench-scale-"));
  const stateDir = join(work, "state");
  const cleanUp = async () => {
    await removeStack(SCALE.stack, stateDir);
    if (options.floor) await removeStack(FLOOR.stack, stateDir);
  };
  const restoreArp = raiseArpLimit(options.arpLimit);
  let interrupted = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => {
      interrupted = true;
      log(`${signal}: cleaning up`);
      void cleanUp().finally(() => {
        restoreArp();
        rmSync(work, { recursive: true, force: true });
        process.exit(130);
      });
    });

  const startedAt = new Date();
  const wallStart = performance.now();
  const results: Result[] = [];
  const failures: Failure[] = [];
  try {
    await cleanUp(); // leftovers of an interrupted run
    if (leftovers.size > 0)
      throw new Error(
        `stack(s) ${[...leftovers].join(", ")} could not be removed before the run (see above); a network Docker says "has active endpoints" ` +
          `with no container attached goes only when dockerd restarts`,
      );
    for (const n of options.sizes) {
      if (interrupted) break;
      const stage = { name: "setup" };
      const t = performance.now();
      try {
        results.push(await benchOne(n, options, work, stateDir, stage));
        log(`N=${n} done in ${sec(performance.now() - t)} s`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`N=${n} failed during ${stage.name}: ${message}`);
        failures.push({ n, stage: stage.name, error: message });
        await settle(SCALE.stack);
        await cleanUp();
      }
      console.log(`\n${textTable(results, failures)}\n`);
    }
  } finally {
    await cleanUp();
    restoreArp();
    rmSync(work, { recursive: true, force: true });
  }
  const wallMs = performance.now() - wallStart;
  log(`whole run: ${(wallMs / 60_000).toFixed(1)} min`);
  if (leftovers.size > 0) {
    log(`could not remove everything of ${[...leftovers].join(", ")}: see \`docker ps -a\`, \`docker network ls\` and \`docker volume ls\` with --filter label=netlab.stack=…`);
    process.exitCode = 1;
  }
  if (failures.length > 0 || results.some((r) => Object.keys(r.errors).length > 0)) process.exitCode = 1;
  if (results.length + failures.length === 0) return;

  const machine: Machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: totalmem() / 1024 ** 3,
    kernel: release(),
    docker: (await run("docker", ["version", "--format", "{{.Server.Version}}"]).catch(() => ({ stdout: "unknown" }))).stdout.trim(),
  };
  const { render: _render, ...measured } = options;
  const saved: Saved = { measuredAt: startedAt.toISOString(), wallMs, machine, options: measured, results, failures };
  mkdirSync(join(repoRoot, "test-artifacts"), { recursive: true });
  const json = join(repoRoot, "test-artifacts", `bench-scale-${options.model}.json`);
  writeFileSync(json, `${JSON.stringify(saved, null, 2)}\n`);
  log(`figures written to ${json}`);
  if (options.docs && results.length > 0) writeDocs(saved);
}

if (options.render !== undefined) writeDocs(JSON.parse(readFileSync(options.render, "utf8")) as Saved);
else
  await measureAll().catch((error: unknown) => {
    log(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
