// When each node first announced each block and transaction, timed in this one process (one clock for all nodes).
// zmq: every node's hashblock/hashtx publishers, one SUB socket per node. rpc: waitfornewblock long polls and
// getrawmempool polls, for machines where the zeromq addon cannot load.
import { performance } from "node:perf_hooks";
import { LabCommandError } from "../lab/docker.js";
import type { LabNode } from "./lab.js";
import type { MethodInfo } from "./propagation-analysis.js";
import type { Log } from "./util.js";

export interface FirstSeen {
  readonly method: MethodInfo;
  /** performance.now() when `node` first announced `hash` (a block hash or txid). */
  at(hash: string, node: string): number | undefined;
  /** Waits until every named node announced `hash`, or the timeout passed; returns the nodes that had, with times. */
  waitAll(hash: string, nodes: readonly string[], timeoutMs: number): Promise<Map<string, number>>;
  /** Nodes whose feed is not delivering yet, checked with a block just mined (and, for zmq, its coinbase txid). */
  unconfirmed(block: { hash: string; coinbase: string }, nodes: readonly string[], timeoutMs: number): Promise<string[]>;
  close(): Promise<void>;
}

export const METHODS = ["zmq", "rpc"] as const;
export type MethodName = (typeof METHODS)[number];

/** The bookkeeping both methods share: first sighting per (hash, node), and waiters woken on each new one. */
class Sightings {
  private readonly seen = new Map<string, Map<string, number>>();
  private readonly waiters = new Map<string, Set<() => void>>();

  record(hash: string, node: string, at: number): void {
    let byNode = this.seen.get(hash);
    if (byNode === undefined) this.seen.set(hash, (byNode = new Map()));
    if (byNode.has(node)) return;
    byNode.set(node, at);
    for (const wake of this.waiters.get(hash) ?? []) wake();
  }

  at(hash: string, node: string): number | undefined {
    return this.seen.get(hash)?.get(node);
  }

  waitAll(hash: string, nodes: readonly string[], timeoutMs: number): Promise<Map<string, number>> {
    const collect = () => new Map(nodes.flatMap((node) => (this.at(hash, node) === undefined ? [] : [[node, this.at(hash, node)!] as const])));
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.waiters.get(hash)?.delete(check);
        resolve(collect());
      };
      const check = () => {
        if (nodes.every((node) => this.at(hash, node) !== undefined)) finish();
      };
      const timer = setTimeout(finish, timeoutMs);
      if (!this.waiters.has(hash)) this.waiters.set(hash, new Set());
      this.waiters.get(hash)!.add(check);
      check();
    });
  }
}

async function zmqWatcher(nodes: readonly LabNode[]): Promise<FirstSeen> {
  let zmq: typeof import("zeromq");
  try {
    zmq = await import("zeromq");
  } catch (error) {
    throw new LabCommandError(`the zeromq addon cannot be loaded on this machine (${(error as Error).message.split("\n")[0]}): use --method rpc`);
  }
  const sightings = new Sightings();
  let closing = false;
  const sockets = nodes.map((node) => {
    const socket = new zmq.Subscriber({ linger: 0 });
    socket.connect(node.zmq.hashblock);
    socket.connect(node.zmq.hashtx);
    socket.subscribe("hashblock", "hashtx");
    const done = (async () => {
      for await (const [topic, body] of socket) {
        const at = performance.now();
        if (body === undefined || body.length !== 32) continue;
        const kind = topic?.toString();
        if (kind === "hashblock" || kind === "hashtx") sightings.record(body.toString("hex"), node.name, at);
      }
    })().catch((error: unknown) => {
      if (!closing) process.stderr.write(`netlab experiment: ZMQ feed of ${node.name} stopped: ${(error as Error).message}\n`);
    });
    return { socket, done };
  });
  return {
    method: {
      name: "zmq",
      description:
        "every node's ZMQ publishers (hashblock: the node's tip changed to the block; hashtx: the transaction entered its mempool or a connected block), one subscriber socket per node in this process, each message timestamped with performance.now() on arrival.",
      resolutionMs: 1,
    },
    at: (hash, node) => sightings.at(hash, node),
    waitAll: (hash, names, timeoutMs) => sightings.waitAll(hash, names, timeoutMs),
    async unconfirmed(block, names, timeoutMs) {
      const [blocks, txs] = await Promise.all([sightings.waitAll(block.hash, names, timeoutMs), sightings.waitAll(block.coinbase, names, timeoutMs)]);
      return names.filter((name) => !blocks.has(name) || !txs.has(name));
    },
    async close() {
      closing = true;
      for (const { socket } of sockets) socket.close();
      await Promise.all(sockets.map(({ done }) => done));
    },
  };
}

async function rpcWatcher(nodes: readonly LabNode[], mempoolIntervalMs: number): Promise<FirstSeen> {
  const sightings = new Sightings();
  let closing = false;
  const complain = (node: LabNode, what: string) => (error: unknown) => {
    if (!closing) process.stderr.write(`netlab experiment: ${what} of ${node.name} stopped: ${(error as Error).message}\n`);
  };
  const loops = nodes.flatMap((node) => {
    const blocks = (async () => {
      let tip = await node.rpc.call<string>("getbestblockhash");
      while (!closing) {
        // current_tip makes the call return at once if the tip moved between two polls.
        const answer = await node.rpc.call<{ hash: string }>("waitfornewblock", [1000, tip], { timeoutMs: 10_000 });
        if (answer.hash !== tip) {
          sightings.record(answer.hash, node.name, performance.now());
          tip = answer.hash;
        }
      }
    })().catch(complain(node, "waitfornewblock polling"));
    const mempool = (async () => {
      while (!closing) {
        const sent = performance.now();
        const txids = await node.rpc.call<string[]>("getrawmempool");
        // The transaction was there by the time the answer was written; the request's midpoint is the best guess.
        const at = (sent + performance.now()) / 2;
        for (const txid of txids) sightings.record(txid, node.name, at);
        await new Promise((resolve) => setTimeout(resolve, mempoolIntervalMs));
      }
    })().catch(complain(node, "mempool polling"));
    return [blocks, mempool];
  });
  return {
    method: {
      name: "rpc",
      description: `RPC from this process to every node: blocks by waitfornewblock long polls (answered when the node's tip changes), transactions by polling getrawmempool every ${mempoolIntervalMs} ms, timestamped with performance.now().`,
      resolutionMs: mempoolIntervalMs + 2,
    },
    at: (hash, node) => sightings.at(hash, node),
    waitAll: (hash, names, timeoutMs) => sightings.waitAll(hash, names, timeoutMs),
    async unconfirmed(block, names, timeoutMs) {
      const blocks = await sightings.waitAll(block.hash, names, timeoutMs);
      return names.filter((name) => !blocks.has(name));
    },
    async close() {
      closing = true;
      await Promise.all(loops);
    },
  };
}

export function watchFirstSeen(nodes: readonly LabNode[], method: MethodName, options: { mempoolIntervalMs?: number } = {}): Promise<FirstSeen> {
  return method === "zmq" ? zmqWatcher(nodes) : rpcWatcher(nodes, options.mempoolIntervalMs ?? 10);
}

/** Most warm-up blocks mined before giving up on a feed. */
export const WARMUP_LIMIT = 5;

/**
 * Mines warm-up blocks at `miner` until every named node's feed has delivered one (for zmq the block and its
 * coinbase), at most `limit`. A ZMQ subscriber that has not finished joining when a block is published never gets
 * it (ZMQ's "slow joiner"); with many subscribers on a busy machine that is common, so another block is mined.
 * Returns the blocks mined and the nodes still silent after the last one (empty when every feed delivers).
 */
export async function warmUp(
  watcher: FirstSeen,
  miner: LabNode,
  address: () => Promise<string>,
  names: readonly string[],
  options: { timeoutMs: number; log: Log; limit?: number },
): Promise<{ blocks: number; silent: string[] }> {
  const limit = options.limit ?? WARMUP_LIMIT;
  const feeds = watcher.method.name === "zmq" ? "ZMQ feeds" : "feeds";
  let silent = [...names];
  let blocks = 0;
  while (silent.length > 0 && blocks < limit) {
    blocks++;
    const [hash] = await miner.rpc.call<string[]>("generatetoaddress", [1, await address()]);
    const coinbase = (await miner.rpc.call<{ tx: string[] }>("getblock", [hash, 1])).tx[0]!;
    silent = await watcher.unconfirmed({ hash: hash!, coinbase }, silent, options.timeoutMs);
    if (silent.length > 0) options.log(`warm-up block ${blocks}: ${silent.length} of ${names.length} ${feeds} not delivering yet`);
  }
  return { blocks, silent };
}
