// What a running lab tells its users and the viewer: the stack outputs, derived from the plan alone.
import type { LinkConditions } from "../topology/link.js";
import type { LabPlan } from "./types.js";

export interface NodeOutput {
  name: string;
  container: string;
  ip: string;
  chain: string;
  role: string;
  implementation: string;
  version: string;
  /** RPC on the Docker host (127.0.0.1 only). */
  rpc: string;
  /** P2P address inside the lab network. */
  p2p: string;
  /** P2P on the Docker host, when the node accepts peers from the public network or other hosts. */
  p2pPublished: string | null;
  /** The stack host the node runs on. */
  host: string;
}

export interface LabOutputs {
  stack: string;
  topology: string;
  chain: string;
  network: { name: string; subnet: string };
  rpcUser: string;
  nodes: NodeOutput[];
  /** target: what `from` dials (a relay in its container, 127.0.0.1:<port>, on edges with latency or jitter). */
  edges: { from: string; to: string; target: string; link?: LinkConditions }[];
}

export function labOutputs(plan: LabPlan): LabOutputs {
  return {
    stack: plan.stack,
    topology: plan.topology,
    chain: plan.chain,
    network: { name: plan.network.name, subnet: plan.network.subnet },
    rpcUser: plan.rpcUser,
    nodes: plan.nodes.map((node) => ({
      name: node.node,
      container: node.container,
      ip: node.ip,
      chain: plan.chain,
      role: node.role,
      implementation: node.implementation,
      version: node.version,
      rpc: node.rpcHostAddress,
      p2p: node.p2pAddress,
      p2pPublished: node.p2pHostAddress ?? null,
      host: node.host,
    })),
    edges: plan.edges.map((edge) => ({ from: edge.from, to: edge.to, target: edge.target, ...(edge.link === undefined ? {} : { link: edge.link }) })),
  };
}
