// The mining and traffic schedule, drawn up front from a seed: blocks as a Poisson process (exponential gaps with
// the target interval as mean), each found by a miner drawn by hashrate share; transactions as a Poisson process
// at the given rate, each from a wallet to another. Pure.
import seedrandom from "seedrandom";

export interface MinerShare {
  name: string;
  /** Declared share, relative (e.g. 3 and 1). */
  hashrate: number;
}

export interface ScheduledBlock {
  /** ms after the schedule starts. */
  atMs: number;
  miner: string;
}

export interface ScheduledTx {
  atMs: number;
  from: string;
  to: string;
}

export interface ScheduleSpec {
  durationMs: number;
  /** Target mean time between blocks. */
  intervalMs: number;
  /** Transactions per second (0: none). */
  txRate: number;
  miners: readonly MinerShare[];
  /** Nodes that send and receive transactions (the wallets). */
  wallets: readonly string[];
  seed: number;
}

export interface Schedule {
  blocks: ScheduledBlock[];
  txs: ScheduledTx[];
}

/** Each miner's share of the whole, summing to 1. */
export function normaliseShares(miners: readonly MinerShare[]): Record<string, number> {
  const total = miners.reduce((sum, miner) => sum + miner.hashrate, 0);
  return Object.fromEntries(miners.map((miner) => [miner.name, miner.hashrate / total]));
}

/** An exponential draw with the given mean (inverse transform; 1 - u keeps log away from 0). */
export function exponential(random: () => number, mean: number): number {
  return -mean * Math.log(1 - random());
}

/** The entry whose cumulative share range holds u (0 ≤ u < 1). */
export function pickByShare<T extends MinerShare>(miners: readonly T[], u: number): T {
  const total = miners.reduce((sum, miner) => sum + miner.hashrate, 0);
  let cumulative = 0;
  for (const miner of miners) {
    cumulative += miner.hashrate / total;
    if (u < cumulative) return miner;
  }
  return miners.at(-1)!;
}

/** Arrival times of a Poisson process with the given mean gap, within [0, durationMs). */
function arrivals(random: () => number, meanGapMs: number, durationMs: number): number[] {
  const times: number[] = [];
  for (let t = exponential(random, meanGapMs); t < durationMs; t += exponential(random, meanGapMs)) times.push(Math.round(t));
  return times;
}

/** The whole schedule. Blocks and transactions draw from separate streams, so the tx rate does not move the blocks. */
export function drawSchedule(spec: ScheduleSpec): Schedule {
  if (spec.miners.length === 0) throw new Error("no miners to schedule blocks for");
  const blockRandom = seedrandom(`bitcoin-netlab:mining:${spec.seed}:blocks`);
  const blocks = arrivals(blockRandom, spec.intervalMs, spec.durationMs).map((atMs) => ({ atMs, miner: pickByShare(spec.miners, blockRandom()).name }));
  if (spec.txRate <= 0 || spec.wallets.length === 0) return { blocks, txs: [] };
  const txRandom = seedrandom(`bitcoin-netlab:mining:${spec.seed}:txs`);
  const pick = (list: readonly string[]) => list[Math.floor(txRandom() * list.length)]!;
  const txs = arrivals(txRandom, 1000 / spec.txRate, spec.durationMs).map((atMs) => {
    const from = pick(spec.wallets);
    const others = spec.wallets.filter((name) => name !== from);
    return { atMs, from, to: others.length > 0 ? pick(others) : from };
  });
  return { blocks, txs };
}

/** Parses "n1=3,n2=1" (a share per node); throws a message naming the bad part. */
export function parseShares(text: string): MinerShare[] {
  const parts = text.split(",").map((part) => part.trim()).filter((part) => part !== "");
  if (parts.length === 0) throw new Error(`"${text}" names no miner: give node=share pairs, e.g. n1=3,n2=1`);
  const seen = new Set<string>();
  return parts.map((part) => {
    const match = /^([a-z][a-z0-9-]*)=([0-9]*\.?[0-9]+(?:e[0-9]+)?)$/i.exec(part);
    if (match === null) throw new Error(`"${part}" is not node=share (e.g. n1=3)`);
    const [, name, value] = match;
    const hashrate = Number(value);
    if (!(hashrate > 0)) throw new Error(`"${part}": the share must be greater than 0`);
    if (seen.has(name!)) throw new Error(`"${name}" is named twice`);
    seen.add(name!);
    return { name: name!, hashrate };
  });
}
