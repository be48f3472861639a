import type { LinkConditions } from "../src/topology/link.js";

// What the viewer knows: the lab as declared (from stack outputs or container labels) and what its nodes say.

export interface ManagedNode {
  name: string;
  container: string;
  ip: string;
  /** P2P address inside the lab network, ip:port. */
  p2p: string;
  role: string;
  implementation: string;
  version: string;
  /** Where the viewer reaches RPC, e.g. http://127.0.0.1:21000. */
  rpcUrl: string;
  /** The stack host the node runs on. */
  host: string;
  /** Relays this node dials through (127.0.0.1:<port> → peer node), for edges with latency or jitter. */
  relays?: Record<string, string>;
  /** Link conditions of the edges this node dials, by peer node. */
  links?: Record<string, LinkConditions>;
}

export interface LabDescription {
  stack: string;
  chain: string;
  /** Where the description came from, shown on the page. */
  source: "pulumi" | "docker";
  nodes: ManagedNode[];
  declaredEdges: { from: string; to: string }[];
  /** Grafana base URL, when the stack has one; the page links each node's dashboard. */
  grafanaUrl?: string;
}

export interface RpcCredentials {
  username: string;
  password: string;
}

export interface PeerInfo {
  id: number;
  addr: string;
  inbound: boolean;
  connection_type: string;
  transport_protocol_type?: string;
  bytessent: number;
  bytesrecv: number;
  subver: string;
  synced_blocks?: number;
}

export interface NodeSnapshot {
  name: string;
  up: boolean;
  error?: string;
  blocks?: number;
  headers?: number;
  bestBlockHash?: string;
  subversion?: string;
  protocolVersion?: number;
  connectionsIn?: number;
  connectionsOut?: number;
  mempoolSize?: number;
  mempoolBytes?: number;
  peers?: PeerInfo[];
  /** Addresses from getaddednodeinfo: the edges this node was told to keep. */
  addedNodes?: string[];
}

export type EdgeStatus = "connected" | "declared-missing" | "undeclared";

export interface GraphNode {
  id: string;
  kind: "managed" | "external";
  label: string;
  up: boolean;
  ip: string;
  role?: string;
  implementation?: string;
  version?: string;
  host?: string;
  blocks?: number;
  headers?: number;
  bestBlockHash?: string;
  subversion?: string;
  protocolVersion?: number;
  peersIn?: number;
  peersOut?: number;
  mempoolSize?: number;
  bytesSent: number;
  bytesRecv: number;
  degree: number;
  error?: string;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  status: EdgeStatus;
  connectionType?: string;
  transport?: string;
  bytesSent?: number;
  bytesRecv?: number;
  /** Declared link conditions, e.g. "latency 100ms, 1mbit". */
  link?: string;
}

export interface LabGraph {
  stack: string;
  chain: string;
  source: LabDescription["source"];
  grafanaUrl?: string;
  polledAt: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  tips: { agree: boolean; byHash: { hash: string; height: number; nodes: string[] }[] };
  missing: { from: string; to: string }[];
  undeclared: { from: string; to: string; connectionType?: string }[];
}
