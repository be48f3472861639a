// What a mining and traffic run produced: blocks per miner against the declared shares, stale blocks and forks
// (chain-tips.ts), the orphan rate, and where the transactions ended up. Pure.
import type { ChainAnalysis } from "./chain-tips.js";

export interface MinedBlock {
  /** Position in the schedule. */
  index: number;
  miner: string;
  /** ms after the schedule started: when it was due, and when generatetoaddress was sent. */
  scheduledMs: number;
  actualMs: number | null;
  hash: string | null;
  height: number | null;
  error?: string;
}

export interface SentTx {
  index: number;
  from: string;
  to: string;
  scheduledMs: number;
  actualMs: number | null;
  txid: string | null;
  /** In a block of the lab's main chain. */
  confirmed: boolean;
  /** Nodes holding it in their mempool at the end. */
  inMempoolOf: string[];
  error?: string;
}

export interface MiningSettings {
  durationMs: number;
  intervalMs: number;
  txRate: number;
  seed: number;
  settleMs: number;
  /** Declared (relative) share per miner, and where it came from. */
  hashrates: Record<string, number>;
  sharesFrom: "topology" | "command line";
}

export interface MinerSummary {
  name: string;
  /** Normalised declared share (0..1). */
  share: number;
  scheduled: number;
  mined: number;
  stale: number;
  /** mined / all mined, 0..1. */
  observedShare: number;
}

export interface MiningResult {
  kind: "mining";
  stack: string;
  chain: string;
  startedAt: string;
  finishedAt: string;
  /** Stopped before the duration (Ctrl-C or `netlab experiment stop`). */
  stoppedEarly: boolean;
  /** ms the schedule ran. */
  ranMs: number;
  settings: MiningSettings;
  nodes: { name: string; role: string }[];
  startHeight: number;
  blocks: (MinedBlock & { stale: boolean })[];
  txs: SentTx[];
  miners: MinerSummary[];
  tips: ChainAnalysis;
  summary: {
    blocksScheduled: number;
    blocksMined: number;
    blocksFailed: number;
    /** Stale blocks the run mined / blocks it mined. */
    orphanRate: number;
    staleInRun: number;
    staleTotal: number;
    forks: number;
    txsScheduled: number;
    txsSent: number;
    txsFailed: number;
    txsConfirmed: number;
    txsInMempool: number;
    /** Sent, but neither confirmed nor in any mempool (e.g. conflicted by a reorg). */
    txsLost: number;
  };
}

export interface MiningInput extends Omit<MiningResult, "kind" | "blocks" | "miners" | "summary"> {
  blocks: MinedBlock[];
  /** Normalised shares, per miner. */
  shares: Record<string, number>;
}

export function summariseMining(input: MiningInput): MiningResult {
  const stale = new Set(input.tips.staleBlocks.map((block) => block.hash));
  const blocks = input.blocks.map((block) => ({ ...block, stale: block.hash !== null && stale.has(block.hash) }));
  const mined = blocks.filter((block) => block.hash !== null);
  const miners = Object.entries(input.shares).map(([name, share]): MinerSummary => {
    const own = blocks.filter((block) => block.miner === name);
    const ownMined = own.filter((block) => block.hash !== null);
    return {
      name,
      share,
      scheduled: own.length,
      mined: ownMined.length,
      stale: ownMined.filter((block) => block.stale).length,
      observedShare: mined.length === 0 ? 0 : ownMined.length / mined.length,
    };
  });
  const sent = input.txs.filter((tx) => tx.txid !== null);
  const staleInRun = mined.filter((block) => block.stale).length;
  const { blocks: _blocks, shares: _shares, ...rest } = input;
  return {
    kind: "mining",
    ...rest,
    blocks,
    miners,
    summary: {
      blocksScheduled: blocks.length,
      blocksMined: mined.length,
      blocksFailed: blocks.filter((block) => block.error !== undefined).length,
      orphanRate: mined.length === 0 ? 0 : staleInRun / mined.length,
      staleInRun,
      staleTotal: input.tips.staleBlocks.length,
      forks: input.tips.forks.length,
      txsScheduled: input.txs.length,
      txsSent: sent.length,
      txsFailed: input.txs.filter((tx) => tx.error !== undefined).length,
      txsConfirmed: sent.filter((tx) => tx.confirmed).length,
      txsInMempool: sent.filter((tx) => !tx.confirmed && tx.inMempoolOf.length > 0).length,
      txsLost: sent.filter((tx) => !tx.confirmed && tx.inMempoolOf.length === 0).length,
    },
  };
}
