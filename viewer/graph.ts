// One graph from what the nodes say: managed nodes, external peers, live connections from the outbound side,
// and where the live network differs from the declared one. Pure: the same snapshots give the same graph.
import { describeLink } from "../src/topology/link.js";
import type { GraphEdge, GraphNode, LabDescription, LabGraph, NodeSnapshot, PeerInfo } from "./types.js";

/** "10.0.0.5:18444" → "10.0.0.5"; "[fd00::1]:8333" → "fd00::1". */
export function hostOf(address: string): string {
  const bracketed = /^\[([^\]]+)\](:\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  const parts = address.split(":");
  return parts.length === 2 ? parts[0]! : address;
}

const edgeKey = (from: string, to: string) => `${from}->${to}`;

/** Declared edges as the nodes themselves record them (getaddednodeinfo), for labs found without stack outputs. */
export function edgesFromAddedNodes(lab: LabDescription, snapshots: NodeSnapshot[]): { from: string; to: string }[] {
  const byAddress = new Map(lab.nodes.map((node) => [node.p2p, node.name] as const));
  const byHost = new Map(lab.nodes.map((node) => [node.ip, node.name] as const));
  const relaysOf = new Map(lab.nodes.map((node) => [node.name, node.relays ?? {}] as const));
  return snapshots.flatMap((snapshot) =>
    (snapshot.addedNodes ?? []).flatMap((added) => {
      const to = relaysOf.get(snapshot.name)?.[added] ?? byAddress.get(added) ?? byHost.get(hostOf(added));
      return to === undefined ? [] : [{ from: snapshot.name, to }];
    }),
  );
}

export function buildGraph(lab: LabDescription, snapshots: NodeSnapshot[], declaredEdges: { from: string; to: string }[], polledAt: Date): LabGraph {
  const snapshotOf = new Map(snapshots.map((s) => [s.name, s] as const));
  const managedByHost = new Map(lab.nodes.map((node) => [node.ip, node.name] as const));
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();

  for (const node of lab.nodes) {
    const s = snapshotOf.get(node.name);
    const peers = s?.peers ?? [];
    nodes.set(node.name, {
      id: node.name,
      kind: "managed",
      label: node.name,
      up: s?.up ?? false,
      ip: node.ip,
      role: node.role,
      implementation: node.implementation,
      version: node.version,
      host: node.host,
      blocks: s?.blocks,
      headers: s?.headers,
      bestBlockHash: s?.bestBlockHash,
      subversion: s?.subversion,
      protocolVersion: s?.protocolVersion,
      peersIn: s?.connectionsIn,
      peersOut: s?.connectionsOut,
      mempoolSize: s?.mempoolSize,
      bytesSent: peers.reduce((sum, p) => sum + p.bytessent, 0),
      bytesRecv: peers.reduce((sum, p) => sum + p.bytesrecv, 0),
      degree: 0,
      error: s?.error,
    });
  }

  const externalNode = (host: string): string => {
    const id = `external:${host}`;
    if (!nodes.has(id))
      nodes.set(id, { id, kind: "external", label: host, up: true, ip: host, bytesSent: 0, bytesRecv: 0, degree: 0 });
    return id;
  };

  const addLive = (source: string, target: string, peer: PeerInfo, outbound: boolean) => {
    edges.set(edgeKey(source, target), {
      id: edgeKey(source, target),
      source,
      target,
      status: "connected",
      connectionType: peer.connection_type,
      transport: peer.transport_protocol_type,
      // Bytes as seen by the dialling side.
      bytesSent: outbound ? peer.bytessent : peer.bytesrecv,
      bytesRecv: outbound ? peer.bytesrecv : peer.bytessent,
    });
  };

  const relaysOf = new Map(lab.nodes.map((node) => [node.name, node.relays ?? {}] as const));
  for (const snapshot of snapshots) {
    if (!snapshot.up) continue;
    for (const peer of snapshot.peers ?? []) {
      const host = hostOf(peer.addr);
      // An edge with latency or jitter is dialled through a relay in the node's own container (127.0.0.1).
      const managed = relaysOf.get(snapshot.name)?.[peer.addr] ?? managedByHost.get(host);
      if (!peer.inbound) addLive(snapshot.name, managed ?? externalNode(host), peer, true);
      // Inbound from a lab node is drawn from that node's outbound side; from outside, only this side knows it.
      else if (managed === undefined) addLive(externalNode(host), snapshot.name, peer, false);
    }
  }

  const declared = new Set(declaredEdges.map((e) => edgeKey(e.from, e.to)));
  const missing: LabGraph["missing"] = [];
  for (const edge of declaredEdges) {
    const key = edgeKey(edge.from, edge.to);
    if (edges.has(key)) continue;
    missing.push(edge);
    edges.set(key, { id: key, source: edge.from, target: edge.to, status: "declared-missing" });
  }
  const undeclared: LabGraph["undeclared"] = [];
  for (const edge of edges.values()) {
    const betweenManaged = nodes.get(edge.source)?.kind === "managed" && nodes.get(edge.target)?.kind === "managed";
    if (edge.status === "connected" && betweenManaged && !declared.has(edge.id)) {
      edge.status = "undeclared";
      undeclared.push({ from: edge.source, to: edge.target, connectionType: edge.connectionType });
    }
  }

  const linksOf = new Map(lab.nodes.map((node) => [node.name, node.links ?? {}] as const));
  for (const edge of edges.values()) {
    const link = linksOf.get(edge.source)?.[edge.target];
    if (link !== undefined) edge.link = describeLink(link);
  }

  for (const edge of edges.values()) {
    if (edge.status === "declared-missing") continue;
    nodes.get(edge.source)!.degree += 1;
    nodes.get(edge.target)!.degree += 1;
  }

  const tips = new Map<string, { hash: string; height: number; nodes: string[] }>();
  for (const node of nodes.values()) {
    if (node.kind !== "managed" || !node.up || node.bestBlockHash === undefined) continue;
    const tip = tips.get(node.bestBlockHash) ?? { hash: node.bestBlockHash, height: node.blocks ?? 0, nodes: [] };
    tip.nodes.push(node.id);
    tips.set(node.bestBlockHash, tip);
  }
  const byHash = [...tips.values()].sort((a, b) => b.nodes.length - a.nodes.length || b.height - a.height);

  return {
    stack: lab.stack,
    chain: lab.chain,
    source: lab.source,
    ...(lab.grafanaUrl === undefined ? {} : { grafanaUrl: lab.grafanaUrl }),
    polledAt: polledAt.toISOString(),
    nodes: [...nodes.values()],
    edges: [...edges.values()],
    tips: { agree: byHash.length <= 1, byHash },
    missing,
    undeclared,
  };
}
