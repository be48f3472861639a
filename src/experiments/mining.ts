// netlab experiment mining: miners find blocks at a target interval by their hashrate shares, wallets send
// transactions at a rate, for a set time (schedule.ts); then every node's chain tips tell the forks and stale blocks.
import { performance } from "node:perf_hooks";
import { LabCommandError } from "../lab/docker.js";
import { analyseChainTips, referenceTip, type ChainTip, type HeaderLink } from "./chain-tips.js";
import { connectLab, newAddress, tips as bestHashes, type Lab, type LabNode } from "./lab.js";
import { summariseMining, type MinedBlock, type MiningResult, type SentTx } from "./mining-analysis.js";
import { renderMiningHtml } from "./mining-report.js";
import { spreadCoins } from "./coins.js";
import { TX_AMOUNT } from "./propagation.js";
import { drawSchedule, normaliseShares, type MinerShare } from "./schedule.js";
import { mapLimit, until, writeResults, type Log } from "./util.js";

export interface MiningOptions {
  stack: string;
  durationMs: number;
  intervalMs: number;
  txRate: number;
  seed: number;
  /** Shares from the command line; undefined: the lab's (label netlab.hashrate, 1 where missing). */
  shares: MinerShare[] | undefined;
  /** How long the lab may take to agree on one tip after the schedule ends. */
  settleMs: number;
  outDir: string;
  log: Log;
  /** Aborting stops the schedule early; the report is still written. */
  signal?: AbortSignal;
}

/** Sleeps until `ms`, or until the signal aborts; returns false when aborted. */
function waitUntil(startedAt: number, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, Math.max(0, startedAt + ms - performance.now()));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function minersOf(lab: Lab, override: MinerShare[] | undefined): MinerShare[] {
  if (override !== undefined) {
    for (const { name } of override) {
      const node = lab.node(name);
      if (node.wallet === undefined) throw new LabCommandError(`--miners: node ${name} has no wallet loaded, so it has no address to mine to`);
    }
    return override;
  }
  const miners = lab.nodes.filter((node) => node.role === "miner" && node.wallet !== undefined);
  if (miners.length === 0) throw new LabCommandError(`stack "${lab.stack}" has no miner with a wallet: name miners and their shares with --miners, e.g. n1=3,n2=1`);
  return miners.map((node) => ({ name: node.name, hashrate: node.hashrate ?? 1 }));
}

/** Every node's chain tips, the headers of everything off the main chain, and the main chain where they meet it. */
async function chainState(lab: Lab) {
  const tips: Record<string, ChainTip[]> = Object.fromEntries(await Promise.all(lab.nodes.map(async (node) => [node.name, await node.rpc.call<ChainTip[]>("getchaintips")] as const)));
  const reference = referenceTip(tips);
  const referenceNode = lab.nodes.find((node) => tips[node.name]!.some((tip) => tip.status === "active" && tip.hash === reference.hash))!;
  const headers: Record<string, HeaderLink> = {};
  const mainChain: Record<number, string> = {};
  const mainAt = async (height: number) => {
    if (height > reference.height) return undefined;
    mainChain[height] ??= await referenceNode.rpc.call<string>("getblockhash", [height]);
    return mainChain[height];
  };
  for (const node of lab.nodes) {
    for (const tip of tips[node.name]!) {
      let hash: string | undefined = tip.hash;
      while (hash !== undefined && hash !== reference.hash) {
        if (headers[hash] === undefined) {
          const header = await node.rpc.call<{ height: number; previousblockhash?: string }>("getblockheader", [hash]);
          headers[hash] = { height: header.height, previous: header.previousblockhash };
        }
        if ((await mainAt(headers[hash]!.height)) === hash) break;
        hash = headers[hash]!.previous;
      }
    }
  }
  return { tips, headers, mainChain };
}

/** The miner of a block not mined by this run: the node whose wallet owns its coinbase output, if any node has the block. */
async function coinbaseOwner(lab: Lab, hash: string): Promise<string | undefined> {
  for (const node of lab.nodes) {
    const block = await node.rpc.call<{ tx: { vout: { scriptPubKey: { address?: string } }[] }[] }>("getblock", [hash, 2]).catch(() => undefined);
    const address = block?.tx[0]?.vout.find((out) => out.scriptPubKey.address !== undefined)?.scriptPubKey.address;
    if (address === undefined) continue;
    for (const owner of lab.nodes.filter((n) => n.wallet !== undefined)) {
      const info = await owner.rpc.call<{ ismine: boolean }>("getaddressinfo", [address], { wallet: owner.wallet! });
      if (info.ismine) return owner.name;
    }
    return undefined;
  }
  return undefined;
}

export async function runMining(options: MiningOptions): Promise<{ result: MiningResult; files: { json: string; html: string } }> {
  const { log, signal } = options;
  const startedAt = new Date().toISOString();
  const lab = await connectLab(options.stack);
  const minerShares = minersOf(lab, options.shares);
  const wallets = lab.nodes.filter((node) => node.wallet !== undefined);
  const schedule = drawSchedule({
    durationMs: options.durationMs,
    intervalMs: options.intervalMs,
    txRate: options.txRate,
    miners: minerShares,
    wallets: wallets.map((node) => node.name),
    seed: options.seed,
  });
  log(
    `stack ${lab.stack}: ${schedule.blocks.length} blocks (${minerShares.map((m) => `${m.name}×${schedule.blocks.filter((b) => b.miner === m.name).length}`).join(", ")}) and ` +
      `${schedule.txs.length} transactions scheduled over ${options.durationMs / 1000} s`,
  );

  if (schedule.txs.length > 0) {
    const senders = new Map<LabNode, number>();
    for (const tx of schedule.txs) senders.set(lab.node(tx.from), (senders.get(lab.node(tx.from)) ?? 0) + 1);
    if (await spreadCoins(lab, senders, minerShares.map((m) => lab.node(m.name)), log)) {
      const miner = lab.node(minerShares[0]!.name);
      const [hash] = await miner.rpc.call<string[]>("generatetoaddress", [1, await newAddress(miner)]);
      log(`confirming them with block ${hash!.slice(0, 16)}… at ${miner.name}`);
      const everywhere = await until(async () => (Object.values(await bestHashes(lab)).every((tip) => tip === hash) ? true : undefined), options.settleMs, 200);
      if (everywhere === undefined) throw new LabCommandError(`the funding block ${hash} did not reach every node within ${options.settleMs / 1000} s: is the lab connected?`);
    }
  }
  // One address per miner: generatetoaddress then costs a single call at the scheduled time.
  const addresses = new Map(await Promise.all(minerShares.map(async (m) => [m.name, await newAddress(lab.node(m.name))] as const)));
  const startHeight = await lab.nodes[0]!.rpc.call<number>("getblockcount");

  const blocks: MinedBlock[] = schedule.blocks.map((block, index) => ({ index, miner: block.miner, scheduledMs: block.atMs, actualMs: null, hash: null, height: null }));
  const txs: SentTx[] = schedule.txs.map((tx, index) => ({ index, from: tx.from, to: tx.to, scheduledMs: tx.atMs, actualMs: null, txid: null, confirmed: false, inMempoolOf: [] }));
  const events = [
    ...blocks.map((block) => ({ atMs: block.scheduledMs, run: () => mineBlock(block) })),
    ...txs.map((tx) => ({ atMs: tx.scheduledMs, run: () => sendTx(tx) })),
  ].sort((a, b) => a.atMs - b.atMs);
  const t0 = performance.now();
  const since = () => Math.round(performance.now() - t0);
  async function mineBlock(block: MinedBlock) {
    block.actualMs = since();
    try {
      const [hash] = await lab.node(block.miner).rpc.call<string[]>("generatetoaddress", [1, addresses.get(block.miner)!]);
      block.hash = hash!;
      log(`block ${block.index + 1}/${blocks.length} at ${block.miner} (+${(block.actualMs / 1000).toFixed(1)} s): ${hash!.slice(0, 16)}…`);
    } catch (error) {
      block.error = (error as Error).message;
      log(`block ${block.index + 1} at ${block.miner} failed: ${block.error}`);
    }
  }
  async function sendTx(tx: SentTx) {
    tx.actualMs = since();
    try {
      const from = lab.node(tx.from);
      tx.txid = await from.rpc.call<string>("sendtoaddress", [await newAddress(lab.node(tx.to)), TX_AMOUNT], { wallet: from.wallet! });
    } catch (error) {
      tx.error = (error as Error).message;
      log(`tx ${tx.index + 1} from ${tx.from} failed: ${tx.error}`);
    }
  }

  // Each event starts at its time without waiting for the ones before: two miners due together mine together.
  const running: Promise<void>[] = [];
  let stoppedEarly = false;
  for (const event of events) {
    if (!(await waitUntil(t0, event.atMs, signal))) {
      stoppedEarly = true;
      break;
    }
    running.push(event.run());
  }
  if (!stoppedEarly && !(await waitUntil(t0, options.durationMs, signal))) stoppedEarly = true;
  const ranMs = since();
  if (stoppedEarly) log(`stopped after ${(ranMs / 1000).toFixed(1)} s; writing the report`);
  await Promise.all(running);
  // A run stopped early reports what was due before the stop.
  const dueBlocks = blocks.filter((block) => block.actualMs !== null);
  const dueTxs = txs.filter((tx) => tx.actualMs !== null);

  const agreed = await until(async () => (new Set(Object.values(await bestHashes(lab))).size === 1 ? true : undefined), options.settleMs, 200);
  if (agreed === undefined) log(`the nodes did not agree on one tip within ${options.settleMs / 1000} s; the report shows each node's`);

  const state = await chainState(lab);
  for (const block of dueBlocks) if (block.hash !== null) block.height = (await lab.node(block.miner).rpc.call<{ height: number }>("getblockheader", [block.hash])).height;
  const minedBy: Record<string, string> = Object.fromEntries(dueBlocks.flatMap((block) => (block.hash === null ? [] : [[block.hash, block.miner]])));
  const runBlocks = Object.keys(minedBy);
  // Stale blocks the run did not mine (a partition's, a user's): their coinbase tells the miner.
  for (const hash of Object.keys(state.headers)) {
    if (minedBy[hash] === undefined && state.mainChain[state.headers[hash]!.height] !== hash) {
      const owner = await coinbaseOwner(lab, hash);
      if (owner !== undefined) minedBy[hash] = owner;
    }
  }
  const tipAnalysis = analyseChainTips({ ...state, minedBy, runBlocks });

  if (dueTxs.length > 0) {
    // Confirmed: in a block of the lab's chain since the start (read from the chain: a wallet may lag its node).
    const reference = lab.nodes.find((node) => tipAnalysis.nodes[node.name]?.agrees)!;
    const heights = Array.from({ length: tipAnalysis.tip.height - startHeight }, (_, i) => startHeight + 1 + i);
    const blockTxs = await mapLimit(heights, 8, async (height) => (await reference.rpc.call<{ tx: string[] }>("getblock", [await reference.rpc.call<string>("getblockhash", [height]), 1])).tx);
    const confirmed = new Set(blockTxs.flat());
    const mempools = Object.fromEntries(await Promise.all(lab.nodes.map(async (node) => [node.name, new Set(await node.rpc.call<string[]>("getrawmempool"))] as const)));
    for (const tx of dueTxs) {
      if (tx.txid === null) continue;
      tx.confirmed = confirmed.has(tx.txid);
      tx.inMempoolOf = lab.nodes.filter((node) => mempools[node.name]!.has(tx.txid!)).map((node) => node.name);
    }
  }

  const result = summariseMining({
    stack: lab.stack,
    chain: lab.chain,
    startedAt,
    finishedAt: new Date().toISOString(),
    stoppedEarly,
    ranMs,
    settings: {
      durationMs: options.durationMs,
      intervalMs: options.intervalMs,
      txRate: options.txRate,
      seed: options.seed,
      settleMs: options.settleMs,
      hashrates: Object.fromEntries(minerShares.map((m) => [m.name, m.hashrate])),
      sharesFrom: options.shares === undefined ? "topology" : "command line",
    },
    nodes: lab.nodes.map((node) => ({ name: node.name, role: node.role })),
    startHeight,
    blocks: dueBlocks,
    txs: dueTxs,
    tips: tipAnalysis,
    shares: normaliseShares(minerShares),
  });
  const files = writeResults(options.outDir, "mining", result, renderMiningHtml(result));
  return { result, files };
}
