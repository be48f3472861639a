// The lab as a graph: declared edges from the nodes' added-node lists, hop distances, the sides of a cut. Pure.

import type { LinkConditions } from "../topology/link.js";

export interface Edge {
  from: string;
  to: string;
  /** Declared link conditions of the edge, when it has any. */
  link?: LinkConditions;
}

export interface NodeAddress {
  name: string;
  ip: string;
  /** ip:port other nodes dial. */
  p2p: string;
  /** Relays the node dials through: 127.0.0.1:<port> → peer node (edges with latency or jitter). */
  relays?: Record<string, string>;
  /** Conditions of the edges the node dials, by peer node. */
  links?: Record<string, LinkConditions>;
}

/** "10.0.0.5:18444" → "10.0.0.5"; "[fd00::1]:8333" → "fd00::1"; an address without a port is returned as is. */
export function hostOf(address: string): string {
  const bracketed = /^\[([^\]]+)\](:\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  const parts = address.split(":");
  return parts.length === 2 ? parts[0]! : address;
}

/** Resolves a peer or added-node address to the lab node it belongs to (by ip:port, else by ip). */
export function nodeResolver(nodes: readonly NodeAddress[]): (address: string) => string | undefined {
  const byAddress = new Map(nodes.map((node) => [node.p2p, node.name] as const));
  const byHost = new Map(nodes.map((node) => [node.ip, node.name] as const));
  return (address) => byAddress.get(address) ?? byHost.get(hostOf(address));
}

/** Declared edges as the nodes record them: each node's added nodes (getaddednodeinfo) that are lab nodes. */
export function edgesFromAddedNodes(nodes: readonly NodeAddress[], addedNodes: Readonly<Record<string, readonly string[]>>): Edge[] {
  const resolve = nodeResolver(nodes);
  const edges: Edge[] = [];
  const seen = new Set<string>();
  for (const node of nodes) {
    for (const target of addedNodes[node.name] ?? []) {
      const to = node.relays?.[target] ?? resolve(target);
      const key = `${node.name}->${to}`;
      if (to === undefined || to === node.name || seen.has(key)) continue;
      seen.add(key);
      const link = node.links?.[to];
      edges.push({ from: node.name, to, ...(link === undefined ? {} : { link }) });
    }
  }
  return edges;
}

function neighbours(nodes: readonly string[], edges: readonly Edge[]): Map<string, string[]> {
  const map = new Map<string, string[]>(nodes.map((node) => [node, []]));
  for (const { from, to } of edges) {
    if (!map.has(from) || !map.has(to)) continue;
    map.get(from)!.push(to);
    map.get(to)!.push(from);
  }
  return map;
}

/** Hops from `origin` to every node over the edges taken as undirected (blocks and transactions flow both ways). */
export function hopDistances(nodes: readonly string[], edges: readonly Edge[], origin: string): Record<string, number | null> {
  const adjacent = neighbours(nodes, edges);
  const result: Record<string, number | null> = Object.fromEntries(nodes.map((node) => [node, null]));
  if (!adjacent.has(origin)) return result;
  result[origin] = 0;
  const queue = [origin];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const next of adjacent.get(current)!) {
      if (result[next] !== null) continue;
      result[next] = result[current]! + 1;
      queue.push(next);
    }
  }
  return result;
}

/** Connected components of the nodes over the edges between them (undirected), each in the nodes' order. */
export function components(nodes: readonly string[], edges: readonly Edge[]): string[][] {
  const adjacent = neighbours(nodes, edges);
  const seen = new Set<string>();
  const result: string[][] = [];
  for (const start of nodes) {
    if (seen.has(start)) continue;
    const members = new Set([start]);
    const queue = [start];
    seen.add(start);
    while (queue.length > 0) {
      for (const next of adjacent.get(queue.shift()!)!) {
        if (seen.has(next)) continue;
        seen.add(next);
        members.add(next);
        queue.push(next);
      }
    }
    result.push(nodes.filter((node) => members.has(node)));
  }
  return result;
}

/** Edges with one end in the group and the other outside it. */
export function crossingEdges(edges: readonly Edge[], group: ReadonlySet<string>): Edge[] {
  return edges.filter((edge) => group.has(edge.from) !== group.has(edge.to));
}

/** Natural order of node names: n2 before n10. */
export function byName(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}
