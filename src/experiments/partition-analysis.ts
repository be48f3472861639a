// The partition experiment's decisions and findings, without I/O: which added nodes, bans and connections cut a
// group off from the rest, where a node's old tip left the final chain, and who reorganised how deep.
import { byName, nodeResolver, type NodeAddress } from "./graph.js";

export interface Peer {
  id: number;
  addr: string;
  inbound: boolean;
}

export interface AddedNodeEntry {
  /** The node holding the entry. */
  node: string;
  /** The address as added (what `addnode <target> add` restores). */
  target: string;
  /** The lab node it points to. */
  peer: string;
}

export interface Ban {
  node: string;
  ip: string;
  peer: string;
}

export interface LiveConnection {
  node: string;
  id: number;
  addr: string;
  peer: string;
  inbound: boolean;
}

export interface CutPlan {
  /** Added-node entries across the cut, on either side: removed so bitcoind stops re-dialling them. */
  removeAdded: AddedNodeEntry[];
  /** Every node bans every node of the other side: no automatic outbound connection can pick them. */
  bans: Ban[];
  /** Live connections across the cut, as each end sees them. */
  disconnect: LiveConnection[];
}

/** Live connections between the two sides, from each node's peer list. */
export function crossingConnections(nodes: readonly NodeAddress[], group: ReadonlySet<string>, peers: Readonly<Record<string, readonly Peer[]>>): LiveConnection[] {
  const resolve = nodeResolver(nodes);
  return nodes.flatMap((node) =>
    (peers[node.name] ?? []).flatMap((peer) => {
      const other = node.relays?.[peer.addr] ?? resolve(peer.addr);
      return other !== undefined && group.has(other) !== group.has(node.name) ? [{ node: node.name, id: peer.id, addr: peer.addr, peer: other, inbound: peer.inbound }] : [];
    }),
  );
}

export function planCut(
  nodes: readonly NodeAddress[],
  group: ReadonlySet<string>,
  addedNodes: Readonly<Record<string, readonly string[]>>,
  peers: Readonly<Record<string, readonly Peer[]>>,
): CutPlan {
  const resolve = nodeResolver(nodes);
  const removeAdded = nodes.flatMap((node) =>
    (addedNodes[node.name] ?? []).flatMap((target) => {
      const peer = node.relays?.[target] ?? resolve(target);
      return peer !== undefined && group.has(peer) !== group.has(node.name) ? [{ node: node.name, target, peer }] : [];
    }),
  );
  const bans = nodes.flatMap((node) => nodes.filter((other) => group.has(other.name) !== group.has(node.name)).map((other) => ({ node: node.name, ip: other.ip, peer: other.name })));
  return { removeAdded, bans, disconnect: crossingConnections(nodes, group, peers) };
}

export interface Header {
  hash: string;
  height: number;
  previousblockhash?: string;
}

/**
 * Height of the last block `tip` shares with the final chain: walks back from `tip` through `header` until
 * `finalHashAt(height)` is the same block. Equal to tip's height when the tip is on the final chain.
 */
export async function forkHeight(tip: string, header: (hash: string) => Promise<Header>, finalHashAt: (height: number) => Promise<string | undefined>): Promise<number> {
  let current = await header(tip);
  for (;;) {
    if ((await finalHashAt(current.height)) === current.hash) return current.height;
    if (current.previousblockhash === undefined) throw new Error(`block ${tip} shares no block with the final chain`);
    current = await header(current.previousblockhash);
  }
}

export interface NodeReorg {
  side: "group" | "rest";
  tipBefore: string;
  heightBefore: number;
  /** Last height the node's pre-heal tip shares with the final chain. */
  forkHeight: number;
  reorganised: boolean;
  /** Blocks the node disconnected to reach the final chain (0 if its tip was on it). */
  depth: number;
}

export interface ReorgSummary {
  /** Deepest reorganisation over all nodes. */
  depth: number;
  reorganised: string[];
  perNode: Record<string, NodeReorg>;
}

export function summariseReorg(before: Readonly<Record<string, { side: "group" | "rest"; hash: string; height: number; forkHeight: number }>>): ReorgSummary {
  const names = Object.keys(before).sort(byName);
  const perNode: Record<string, NodeReorg> = {};
  for (const name of names) {
    const node = before[name]!;
    const depth = node.height - node.forkHeight;
    perNode[name] = { side: node.side, tipBefore: node.hash, heightBefore: node.height, forkHeight: node.forkHeight, reorganised: depth > 0, depth };
  }
  const reorganised = names.filter((name) => perNode[name]!.reorganised);
  return { depth: Math.max(0, ...names.map((name) => perNode[name]!.depth)), reorganised, perNode };
}

/** Parses "a,b,c" into distinct node names. */
export function parseGroup(text: string): string[] {
  return [...new Set(text.split(",").map((name) => name.trim()).filter(Boolean))];
}
