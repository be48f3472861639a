// Forks and stale blocks from every node's getchaintips: the lab's main chain is the active tip most nodes agree
// on; every tip any node knows that is not on that chain ends a stale branch, walked back to where it left it. Pure.

/** One entry of getchaintips. */
export interface ChainTip {
  height: number;
  hash: string;
  branchlen: number;
  /** active, valid-fork, valid-headers, headers-only or invalid. */
  status: string;
}

export interface HeaderLink {
  height: number;
  /** previousblockhash; undefined for genesis. */
  previous: string | undefined;
}

export interface ChainInput {
  tips: Readonly<Record<string, readonly ChainTip[]>>;
  /** The main chain's hash at each height the walk needs (from the fork points up). */
  mainChain: Readonly<Record<number, string>>;
  /** Height and parent of every block off the main chain (and of the fork points' children). */
  headers: Readonly<Record<string, HeaderLink>>;
  /** Who mined a block, where known (the run's own records, or the coinbase's owner). */
  minedBy: Readonly<Record<string, string>>;
  /** Blocks the run mined. */
  runBlocks: readonly string[];
}

export interface StaleBlock {
  hash: string;
  height: number;
  miner: string | null;
  /** Mined by this run (rather than before it, or by someone else). */
  inRun: boolean;
}

export interface Fork {
  /** Height of the last block the branch shares with the main chain. */
  forkHeight: number;
  /** The branch's last block. */
  tip: string;
  length: number;
  /** The branch's blocks, oldest first. */
  blocks: string[];
  /** Each node that knows the branch's tip, with the status it gives it. */
  knownBy: Record<string, string>;
  /** Some node is still on this branch: a race the next block decides (its blocks count as stale until then). */
  contested: boolean;
}

export interface NodeTip {
  hash: string;
  height: number;
  /** On the lab's tip. */
  agrees: boolean;
  /** Its tip is on the main chain but lower (still catching up). */
  behind: boolean;
}

export interface ChainAnalysis {
  tip: { hash: string; height: number };
  allAgree: boolean;
  nodes: Record<string, NodeTip>;
  staleBlocks: StaleBlock[];
  forks: Fork[];
  /** Stale blocks by miner ("unknown" where no miner is known). */
  staleByMiner: Record<string, number>;
}

/** The active tip most nodes are on; ties go to the higher, then to the smaller hash (so the choice is stable). */
export function referenceTip(tips: Readonly<Record<string, readonly ChainTip[]>>): { hash: string; height: number } {
  const votes = new Map<string, { hash: string; height: number; count: number }>();
  for (const list of Object.values(tips)) {
    const active = list.find((tip) => tip.status === "active");
    if (active === undefined) continue;
    const entry = votes.get(active.hash) ?? { hash: active.hash, height: active.height, count: 0 };
    entry.count++;
    votes.set(active.hash, entry);
  }
  const best = [...votes.values()].sort((a, b) => b.count - a.count || b.height - a.height || (a.hash < b.hash ? -1 : 1))[0];
  if (best === undefined) throw new Error("no node reported an active tip");
  return { hash: best.hash, height: best.height };
}

/** The blocks from `tip` back to the main chain, oldest first (empty when the tip is on it). */
export function branchOf(tip: string, input: Pick<ChainInput, "mainChain" | "headers">): string[] {
  const blocks: string[] = [];
  let hash: string | undefined = tip;
  while (hash !== undefined) {
    const header: HeaderLink | undefined = input.headers[hash];
    if (header === undefined) {
      if (blocks.length === 0) return []; // a main-chain tip (its header was not needed)
      throw new Error(`no header for block ${hash} below stale tip ${tip}`);
    }
    if (input.mainChain[header.height] === hash) break;
    blocks.unshift(hash);
    hash = header.previous;
  }
  return blocks;
}

export function analyseChainTips(input: ChainInput): ChainAnalysis {
  const tip = referenceTip(input.tips);
  const runBlocks = new Set(input.runBlocks);
  const branches = new Map<string, { blocks: string[]; knownBy: Record<string, string> }>();
  const nodes: Record<string, NodeTip> = {};
  for (const [node, list] of Object.entries(input.tips)) {
    for (const entry of list) {
      const blocks = entry.hash === tip.hash ? [] : branchOf(entry.hash, input);
      if (entry.status === "active") {
        const agrees = entry.hash === tip.hash;
        nodes[node] = { hash: entry.hash, height: entry.height, agrees, behind: !agrees && blocks.length === 0 };
      }
      if (blocks.length === 0) continue;
      const branch = branches.get(entry.hash) ?? { blocks, knownBy: {} };
      branch.knownBy[node] = entry.status;
      branches.set(entry.hash, branch);
    }
  }
  // A tip inside another stale branch (a node that heard only part of it) is the same fork, not another one.
  const inner = new Set([...branches.values()].flatMap((branch) => branch.blocks.slice(0, -1)));
  const forks: Fork[] = [];
  for (const [hash, branch] of branches) {
    if (inner.has(hash)) continue;
    forks.push({ forkHeight: input.headers[branch.blocks[0]!]!.height - 1, tip: hash, length: branch.blocks.length, blocks: branch.blocks, knownBy: branch.knownBy, contested: false });
  }
  for (const [hash, branch] of branches) {
    if (!inner.has(hash)) continue;
    const outer = forks.find((fork) => fork.blocks.includes(hash))!;
    for (const [node, status] of Object.entries(branch.knownBy)) outer.knownBy[node] ??= `${status} (at ${hash.slice(0, 12)}…)`;
  }
  for (const fork of forks) fork.contested = Object.values(fork.knownBy).some((status) => status.startsWith("active"));
  forks.sort((a, b) => a.forkHeight - b.forkHeight || (a.tip < b.tip ? -1 : 1));

  const staleHashes = [...new Set(forks.flatMap((fork) => fork.blocks))];
  const staleBlocks = staleHashes
    .map((hash) => ({ hash, height: input.headers[hash]!.height, miner: input.minedBy[hash] ?? null, inRun: runBlocks.has(hash) }))
    .sort((a, b) => a.height - b.height || (a.hash < b.hash ? -1 : 1));
  const staleByMiner: Record<string, number> = {};
  for (const block of staleBlocks) staleByMiner[block.miner ?? "unknown"] = (staleByMiner[block.miner ?? "unknown"] ?? 0) + 1;
  return { tip, allAgree: Object.values(nodes).every((node) => node.agrees), nodes, staleBlocks, forks, staleByMiner };
}
