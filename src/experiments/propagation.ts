// netlab experiment propagation: mine blocks and send transactions in a running regtest lab, one at a time, and
// record when every node first announced each one.
import { performance } from "node:perf_hooks";
import { LabCommandError } from "../lab/docker.js";
import { seededRandom } from "../topology/random.js";
import { warmUp, watchFirstSeen, type FirstSeen, type MethodName } from "./first-seen.js";
import { connectLab, declaredEdges, newAddress, type Lab, type LabNode } from "./lab.js";
import { analysePropagation, type ItemKind, type Observation, type PropagationResult } from "./propagation-analysis.js";
import { renderPropagationHtml } from "./propagation-report.js";
import { sleep, writeResults, type Log } from "./util.js";

export interface PropagationOptions {
  stack: string;
  blocks: number;
  txs: number;
  /** A node name, or "random": a miner drawn for each block. */
  miner: string;
  seed: number;
  outDir: string;
  method: MethodName;
  /** How long one block or transaction may take to reach every node. */
  timeoutMs: number;
  log: Log;
}

/** BTC per measured transaction. */
export const TX_AMOUNT = 0.001;
/** A pause between items, so that one item's trailing messages do not delay the next. */
const SETTLE_MS = 150;

interface Balances {
  mine: { trusted: number };
}

const trusted = async (node: LabNode) => (await node.rpc.call<Balances>("getbalances", [], { wallet: node.wallet! })).mine.trusted;

/** Every wallet's trusted balance. */
export async function walletBalances(lab: Lab): Promise<Map<LabNode, number>> {
  return new Map(await Promise.all(lab.nodes.filter((node) => node.wallet !== undefined).map(async (node) => [node, await trusted(node)] as const)));
}

/** The richest wallet; when none holds `total` BTC, a miner that first mines 101 blocks to mature a coinbase. */
export async function funderFor(balances: Map<LabNode, number>, miners: LabNode[], total: number, log: Log): Promise<LabNode> {
  const richest = [...balances].sort((a, b) => b[1] - a[1])[0];
  if (richest !== undefined && richest[1] >= total) return richest[0];
  const miner = miners.find((node) => node.wallet !== undefined);
  if (miner === undefined) throw new LabCommandError("no wallet has coins to fund the transactions, and no miner with a wallet can mine them");
  log(`no wallet holds ${total.toFixed(3)} BTC: mining 101 blocks at ${miner.name} to mature a coinbase`);
  await miner.rpc.call("generatetoaddress", [101, await newAddress(miner)], { timeoutMs: 120_000 });
  return miner;
}

/**
 * Gives every sender enough coins for its transactions; they are spendable once a block confirms them (the caller
 * mines it). Returns whether anything was sent or mined.
 */
export async function fund(lab: Lab, senders: Map<LabNode, number>, miners: LabNode[], log: Log): Promise<boolean> {
  const balances = await walletBalances(lab);
  const need = (count: number) => count * (TX_AMOUNT + 0.001) + 0.01;
  const shortfall = [...senders].filter(([node, count]) => balances.get(node)! < need(count));
  if (shortfall.length === 0) return false;
  const total = shortfall.reduce((sum, [, count]) => sum + need(count) + 0.01, 0) + 1;
  const funder = await funderFor(balances, miners, total, log);
  for (const [node, count] of shortfall) {
    if (node === funder) continue;
    const amount = Number((need(count) + 0.01).toFixed(8));
    log(`funding ${node.name} with ${amount} BTC from ${funder.name}`);
    await funder.rpc.call("sendtoaddress", [await newAddress(node), amount], { wallet: funder.wallet! });
  }
  return true;
}

async function measure(watcher: FirstSeen, lab: Lab, kind: ItemKind, origin: LabNode, make: () => Promise<string>, timeoutMs: number, log: Log): Promise<Observation> {
  await sleep(SETTLE_MS);
  const submittedAt = Date.now();
  const sent = performance.now();
  const id = await make();
  const names = lab.nodes.map((node) => node.name);
  const seen = await watcher.waitAll(id, names, timeoutMs);
  const missing = names.filter((name) => !seen.has(name));
  if (missing.length > 0) log(`${kind} ${id.slice(0, 16)}… from ${origin.name} did not reach ${missing.join(", ")} within ${timeoutMs / 1000} s`);
  return { kind, id, origin: origin.name, submittedAt, delays: Object.fromEntries(names.map((name) => [name, seen.has(name) ? Math.max(0, seen.get(name)! - sent) : null])) };
}

export async function runPropagation(options: PropagationOptions): Promise<{ result: PropagationResult; files: { json: string; html: string } }> {
  const { log } = options;
  const startedAt = new Date().toISOString();
  const lab = await connectLab(options.stack);
  const edges = await declaredEdges(lab);
  const miners = lab.nodes.filter((node) => node.role === "miner");
  const wallets = lab.nodes.filter((node) => node.wallet !== undefined);
  if (options.miner === "random" && miners.length === 0) throw new LabCommandError(`stack "${options.stack}" has no miner: name the node that mines with --miner`);
  const fixedMiner = options.miner === "random" ? undefined : lab.node(options.miner);
  if (wallets.length === 0) throw new LabCommandError(`no node of stack "${options.stack}" has a wallet loaded: blocks need an address to pay and transactions a sender`);

  // Every draw up front, from the seed: the same seed on the same lab gives the same origins.
  const random = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const blockOrigins = Array.from({ length: options.blocks }, () => fixedMiner ?? pick(miners));
  const txPairs = Array.from({ length: options.txs }, () => {
    const from = pick(wallets);
    const others = wallets.filter((node) => node !== from);
    return { from, to: others.length > 0 ? pick(others) : from };
  });
  const payee = (node: LabNode) => (node.wallet !== undefined ? node : (miners.find((m) => m.wallet !== undefined) ?? wallets[0]!));

  log(`stack ${lab.stack}: ${lab.nodes.length} nodes, ${edges.length} declared edges; watching first sightings by ${options.method}`);
  const watcher = await watchFirstSeen(lab.nodes, options.method);
  const observations: Observation[] = [];
  try {
    if (txPairs.length > 0) {
      const senders = new Map<LabNode, number>();
      for (const { from } of txPairs) senders.set(from, (senders.get(from) ?? 0) + 1);
      await fund(lab, senders, miners, log);
    }
    // Warm-up blocks (the first also confirms the funding) until every node's feed has reported one.
    const warmMiner = fixedMiner ?? miners[0]!;
    const { blocks: warmups, silent } = await warmUp(watcher, warmMiner, () => newAddress(payee(warmMiner)), lab.nodes.map((node) => node.name), { timeoutMs: options.timeoutMs, log });
    if (silent.length > 0)
      throw new LabCommandError(
        `no ${options.method === "zmq" ? "ZMQ notification" : "new-block answer"} of ${warmups} warm-up block(s) from ${silent.join(", ")} within ${options.timeoutMs / 1000} s each: ` +
          (options.method === "zmq" ? `are their ZMQ publishers (${lab.node(silent[0]!).zmq.hashblock}) reachable, and are they connected to the lab?` : "are they connected to the lab?"),
      );

    for (const [i, origin] of blockOrigins.entries()) {
      const address = await newAddress(payee(origin));
      const item = await measure(watcher, lab, "block", origin, async () => (await origin.rpc.call<string[]>("generatetoaddress", [1, address]))[0]!, options.timeoutMs, log);
      log(`block ${i + 1}/${blockOrigins.length} from ${origin.name}: ${item.id.slice(0, 16)}…`);
      observations.push(item);
    }
    for (const [i, { from, to }] of txPairs.entries()) {
      const address = await newAddress(to);
      const item = await measure(watcher, lab, "tx", from, () => from.rpc.call<string>("sendtoaddress", [address, TX_AMOUNT], { wallet: from.wallet! }), options.timeoutMs, log);
      log(`tx ${i + 1}/${txPairs.length} from ${from.name} to ${to.name}: ${item.id.slice(0, 16)}…`);
      observations.push(item);
    }
  } finally {
    await watcher.close();
  }

  const result = analysePropagation({
    stack: lab.stack,
    chain: lab.chain,
    startedAt,
    finishedAt: new Date().toISOString(),
    method: watcher.method,
    settings: { blocks: options.blocks, txs: options.txs, miner: options.miner, seed: options.seed, timeoutMs: options.timeoutMs },
    nodes: lab.nodes.map((node) => ({ name: node.name, role: node.role })),
    edges,
    observations,
  });
  const files = writeResults(options.outDir, "propagation", result, renderPropagationHtml(result));
  return { result, files };
}
