// A running regtest lab as experiments see it: its nodes (found by their Docker labels), RPC to each node at its
// lab address with the node's cookie, each node's wallet, and the declared edges (each node's added nodes).
import { dockerSource } from "../../viewer/discover.js";
import { dockerEngine, LabCommandError, listNodes } from "../lab/docker.js";
import { CHAIN_PARAMS, ZMQ_PORTS } from "../plan/chains.js";
import type { LinkConditions } from "../topology/link.js";
import { byName, edgesFromAddedNodes, type Edge } from "./graph.js";
import { allowedHost, rpcClient, type RpcClient } from "./rpc.js";

export interface LabNode {
  name: string;
  container: string;
  role: string;
  ip: string;
  /** ip:port other nodes dial. */
  p2p: string;
  rpc: RpcClient;
  /** The node's loaded wallet (miners: "miner", wallet nodes: "wallet"), if any. */
  wallet: string | undefined;
  zmq: { hashblock: string; hashtx: string };
  /** Miners: the declared hashrate share (container label netlab.hashrate), if the lab carries one. */
  hashrate?: number;
  relays?: Record<string, string>;
  links?: Record<string, LinkConditions>;
}

export interface Lab {
  stack: string;
  chain: string;
  subnet: string;
  nodes: LabNode[];
  node(name: string): LabNode;
}

interface AddedNodeInfo {
  addednode: string;
  connected: boolean;
}

async function labSubnet(stack: string): Promise<string> {
  const name = `${stack}-net`;
  let info: { Labels?: Record<string, string> | null; IPAM?: { Config?: { Subnet?: string }[] | null } };
  try {
    info = (await dockerEngine().getNetwork(name).inspect()) as typeof info;
  } catch (error) {
    throw new LabCommandError(`stack "${stack}" has no lab network ${name}: ${(error as Error).message}`);
  }
  if (info.Labels?.["netlab.stack"] !== stack) throw new LabCommandError(`network ${name} is not labelled netlab.stack=${stack}: not a lab network, leaving it alone`);
  const subnet = info.IPAM?.Config?.find((config) => config.Subnet?.includes("."))?.Subnet;
  if (subnet === undefined) throw new LabCommandError(`network ${name} has no IPv4 subnet`);
  return subnet;
}

/** Finds the lab of `stack`; every node must be running, and the chain must be regtest. */
export async function connectLab(stack: string): Promise<Lab> {
  const containers = await listNodes(stack);
  if (containers.length === 0) throw new LabCommandError(`no lab running for stack "${stack}" (no containers labelled netlab.stack=${stack})`);
  const down = containers.filter((c) => c.state !== "running");
  if (down.length > 0) throw new LabCommandError(`stack "${stack}": not running: ${down.map((c) => `${c.node} (${c.state})`).join(", ")}; start every node first`);
  const hashrates = new Map(containers.map((c) => [c.container, c.hashrate] as const));
  const subnet = await labSubnet(stack);
  const source = dockerSource(stack, { rpcVia: "lab-network" });
  const description = await source.describe();
  if (description.chain !== "regtest") throw new LabCommandError(`stack "${stack}" runs ${description.chain}: experiments mine and partition, so they run on regtest only`);
  const rpcPort = CHAIN_PARAMS.regtest.rpcPort;
  const nodes = await Promise.all(
    description.nodes.map(async (node): Promise<LabNode> => {
      if (!allowedHost(node.ip, subnet)) throw new LabCommandError(`node ${node.name} has address "${node.ip}", outside the lab network ${subnet}`);
      const credentials = await source.credentials(node);
      const rpc = rpcClient({ host: node.ip, port: rpcPort, username: credentials.username, password: credentials.password }, subnet);
      const wallets = await rpc.call<string[]>("listwallets").catch((error: Error) => {
        throw new LabCommandError(`node ${node.name} does not answer RPC at ${node.ip}:${rpcPort}: ${error.message}`);
      });
      return {
        name: node.name,
        container: node.container,
        role: node.role,
        ip: node.ip,
        p2p: node.p2p,
        rpc,
        wallet: wallets[0],
        zmq: { hashblock: `tcp://${node.ip}:${ZMQ_PORTS.hashblock}`, hashtx: `tcp://${node.ip}:${ZMQ_PORTS.hashtx}` },
        ...(hashrates.get(node.container) === undefined ? {} : { hashrate: hashrates.get(node.container)! }),
        ...(node.relays === undefined ? {} : { relays: node.relays }),
        ...(node.links === undefined ? {} : { links: node.links }),
      };
    }),
  );
  nodes.sort((a, b) => byName(a.name, b.name));
  const byNodeName = new Map(nodes.map((node) => [node.name, node] as const));
  return {
    stack,
    chain: description.chain,
    subnet,
    nodes,
    node(name) {
      const node = byNodeName.get(name);
      if (node === undefined) throw new LabCommandError(`no node "${name}" in stack "${stack}" (nodes: ${nodes.map((n) => n.name).join(", ")})`);
      return node;
    },
  };
}

/** Each node's added nodes (getaddednodeinfo), by node name. */
export async function addedNodes(lab: Lab): Promise<Record<string, AddedNodeInfo[]>> {
  return Object.fromEntries(await Promise.all(lab.nodes.map(async (node) => [node.name, await node.rpc.call<AddedNodeInfo[]>("getaddednodeinfo")] as const)));
}

/** The declared edges: what each node was told to keep connected (addnode), resolved to lab nodes. */
export async function declaredEdges(lab: Lab): Promise<Edge[]> {
  const added = await addedNodes(lab);
  return edgesFromAddedNodes(lab.nodes, Object.fromEntries(Object.entries(added).map(([name, list]) => [name, list.map((entry) => entry.addednode)])));
}

/** Best block hash of every node. */
export async function tips(lab: Lab, nodes = lab.nodes): Promise<Record<string, string>> {
  return Object.fromEntries(await Promise.all(nodes.map(async (node) => [node.name, await node.rpc.call<string>("getbestblockhash")] as const)));
}

/** A fresh address of the node's wallet. */
export async function newAddress(node: LabNode): Promise<string> {
  if (node.wallet === undefined) throw new LabCommandError(`node ${node.name} has no wallet loaded (miners and wallet nodes get one at bootstrap)`);
  return node.rpc.call<string>("getnewaddress", [], { wallet: node.wallet });
}
