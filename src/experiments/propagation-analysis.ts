// From raw first-seen times to the propagation result: per item the delay at every node, hop distances from its
// origin, time until 50/90/100 % of the nodes had it; per kind the delay distribution by hop. Pure.
import { byName, hopDistances, type Edge } from "./graph.js";
import { distribution, roundDistribution, roundMs, slope, timeToFraction, type Distribution } from "./stats.js";

export type ItemKind = "block" | "tx";

export interface MethodInfo {
  /** "zmq": each node's hashblock/hashtx publisher; "rpc": waitfornewblock long polls and getrawmempool polls. */
  name: "zmq" | "rpc";
  description: string;
  /** What one timestamp can be off by, in ms (see docs/experiments.md). */
  resolutionMs: number;
}

/** One mined block or sent transaction as measured. */
export interface Observation {
  kind: ItemKind;
  /** Block hash or txid. */
  id: string;
  origin: string;
  /** Wall-clock time the RPC that made the item was sent (ms since the epoch). */
  submittedAt: number;
  /** Per node: ms from submission until the node first announced the item; null if it never did. */
  delays: Record<string, number | null>;
}

export interface PropagationInput {
  stack: string;
  chain: string;
  startedAt: string;
  finishedAt: string;
  method: MethodInfo;
  settings: { blocks: number; txs: number; miner: string; seed: number; timeoutMs: number };
  nodes: { name: string; role: string }[];
  edges: Edge[];
  observations: Observation[];
}

export interface ItemResult {
  kind: ItemKind;
  id: string;
  origin: string;
  submittedAt: string;
  /** Nodes that saw it, of all nodes. */
  reached: number;
  firstSeenMs: Record<string, number | null>;
  hops: Record<string, number | null>;
  timeToMs: { p50: number | null; p90: number | null; p100: number | null };
}

export interface HopResult extends Distribution {
  hops: number;
}

export interface KindSummary {
  items: number;
  /** First-seen delays at every node, the origin included, over all items of the kind. */
  delays: Distribution | null;
  /** Delays grouped by hop distance from each item's origin. */
  perHop: HopResult[];
  /** Least-squares slope of delay over hop distance: the cost of one more hop. */
  msPerHop: number | null;
  timeToMs: { p50: Distribution | null; p90: Distribution | null; p100: Distribution | null };
  /** Node × item pairs where the node never saw the item within the timeout. */
  missing: number;
}

export interface PropagationResult {
  format: 1;
  experiment: "propagation";
  stack: string;
  chain: string;
  startedAt: string;
  finishedAt: string;
  method: MethodInfo;
  settings: PropagationInput["settings"];
  nodes: { name: string; role: string }[];
  edges: Edge[];
  items: ItemResult[];
  summary: Record<ItemKind, KindSummary>;
}

function itemResult(observation: Observation, nodes: string[], edges: Edge[]): ItemResult {
  const delays = nodes.map((node) => observation.delays[node] ?? null);
  const time = (fraction: number) => {
    const value = timeToFraction(delays, fraction);
    return value === null ? null : roundMs(value);
  };
  return {
    kind: observation.kind,
    id: observation.id,
    origin: observation.origin,
    submittedAt: new Date(observation.submittedAt).toISOString(),
    reached: delays.filter((delay) => delay !== null).length,
    firstSeenMs: Object.fromEntries(nodes.map((node, i) => [node, delays[i] === null ? null : roundMs(delays[i]!)])),
    hops: hopDistances(nodes, edges, observation.origin),
    timeToMs: { p50: time(0.5), p90: time(0.9), p100: time(1) },
  };
}

function kindSummary(items: ItemResult[], nodes: string[]): KindSummary {
  const delays: number[] = [];
  const byHop = new Map<number, number[]>();
  const points: [number, number][] = [];
  let missing = 0;
  for (const item of items) {
    for (const node of nodes) {
      const delay = item.firstSeenMs[node] ?? null;
      const hops = item.hops[node] ?? null;
      if (delay === null) {
        missing++;
        continue;
      }
      delays.push(delay);
      if (hops === null) continue;
      byHop.set(hops, [...(byHop.get(hops) ?? []), delay]);
      points.push([hops, delay]);
    }
  }
  const perHop = [...byHop.keys()].sort((a, b) => a - b).map((hops) => ({ hops, ...roundDistribution(distribution(byHop.get(hops)!))! }));
  const times = (key: "p50" | "p90" | "p100") => roundDistribution(distribution(items.flatMap((item) => (item.timeToMs[key] === null ? [] : [item.timeToMs[key]!]))));
  const fitted = slope(points);
  return {
    items: items.length,
    delays: roundDistribution(distribution(delays)),
    perHop,
    msPerHop: fitted === undefined ? null : Math.round(fitted * 100) / 100,
    timeToMs: { p50: times("p50"), p90: times("p90"), p100: times("p100") },
    missing,
  };
}

export function analysePropagation(input: PropagationInput): PropagationResult {
  const nodes = input.nodes.map((node) => node.name).sort(byName);
  const items = input.observations.map((observation) => itemResult(observation, nodes, input.edges));
  return {
    format: 1,
    experiment: "propagation",
    stack: input.stack,
    chain: input.chain,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    method: input.method,
    settings: input.settings,
    nodes: [...input.nodes].sort((a, b) => byName(a.name, b.name)),
    edges: input.edges,
    items,
    summary: {
      block: kindSummary(items.filter((item) => item.kind === "block"), nodes),
      tx: kindSummary(items.filter((item) => item.kind === "tx"), nodes),
    },
  };
}
