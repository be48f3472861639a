// topology + stack settings → LabPlan. Pure and deterministic: no I/O, no clock, no randomness, so the same
// input gives a byte-identical plan, and a node keeps its name, address, ports and args when others are added.
import { TopologyError } from "../topology/errors.js";
import type { LabNode, Topology } from "../topology/model.js";
import type { OptionValue } from "../topology/schema.js";
import { CHAIN_PARAMS, ZMQ_PORTS } from "./chains.js";
import { LOCAL_HOST, dockerCli, placeNodes, type HostSpec } from "./hosts.js";
import { SERVICE_IMAGES, servicesPlan } from "./monitoring.js";
import { swarmPlan, swarmTask, taskExec } from "./swarm.js";
import {
  FIRST_NODE_OFFSET,
  P2P_PORT_OFFSET,
  addressAt,
  checkStackSettings,
  nodeCapacity,
  type StackSettings,
} from "./stack.js";
import { RELAY_PORT_BASE, needsRelay, nodeLinkPlan, relaysLabel, type LinkEnd } from "./link.js";
import type { BootstrapStep, EdgePlan, HealthcheckPlan, ImagePlan, Labels, LabPlan, NodePlan } from "./types.js";

export const IMAGE_REPOSITORY = "bitcoin-netlab/bitcoind";
export const BITCOIND_CONTEXT = "images/bitcoind";
export const DATA_DIR = "/home/bitcoin/.bitcoin";

/** bitcoind options that may be given several times; a topology adds to them instead of replacing them. */
const LIST_OPTIONS = new Set([
  "whitelist", "whitebind", "rpcallowip", "rpcauth", "rpcwhitelist", "bind", "externalip", "seednode", "debug",
  "debugexclude", "uacomment", "onlynet", "wallet", "deprecatedrpc", "loadblock",
]);

export function imageName(implementation: string, version: string): string {
  return `${IMAGE_REPOSITORY}:${implementation}-${version}`;
}

function majorVersion(version: string): number {
  return Number.parseInt(version, 10);
}

function optionText(value: string | number | boolean): string {
  if (value === true) return "1";
  if (value === false) return "0";
  return String(value);
}

/** The node's bitcoind options: lab defaults first, then the topology's, with no single-value option twice. */
interface ArgsContext {
  /** The lab's other hosts, whose addresses peers on them arrive from. */
  otherHosts: HostSpec[];
  /** Swarm mode: the node's outbound edges as startup options. */
  addNodes: string[];
  /** The node dials some peers through a relay in its own container. */
  relayed: boolean;
  /** Addresses besides the lab subnet that may call RPC (the services' host, for a node on another host). */
  rpcFrom: string[];
}

function bitcoindArgs(node: LabNode, topology: Topology, settings: StackSettings, { otherHosts, addNodes, relayed, rpcFrom }: ArgsContext): string[] {
  const options = new Map<string, string[]>();
  const set = (key: string, ...values: (string | number)[]) => options.set(key, values.map(String));
  const regtest = topology.chain === "regtest";
  // Core before 28 knows no direction flags in -whitelist; `out` makes a node's own dials to lab peers skip
  // the relay delays too.
  const whitelistFlags = node.implementation === "core" && majorVersion(node.version) < 28 ? "noban" : "in,out,noban";

  set("chain", CHAIN_PARAMS[topology.chain].arg);
  set("rpcauth", settings.rpcAuth);
  set("rpcbind", "0.0.0.0");
  set("rpcallowip", settings.subnet, ...rpcFrom);
  // Peers on other hosts arrive from those hosts' addresses: lab peers too.
  // A node dialling through a relay in its container sees that peer at 127.0.0.1.
  const sources = [settings.subnet, ...otherHosts.map((h) => h.address), ...(relayed ? ["127.0.0.1/32"] : [])];
  set("whitelist", ...sources.map((source) => `${whitelistFlags}@${source}`));
  set("listenonion", 0);
  set("printtoconsole", 1);
  set("zmqpubhashblock", `tcp://0.0.0.0:${ZMQ_PORTS.hashblock}`);
  set("zmqpubhashtx", `tcp://0.0.0.0:${ZMQ_PORTS.hashtx}`);
  set("addresstype", "bech32");
  set("changetype", "bech32");
  if (regtest) {
    set("dnsseed", 0);
    set("fixedseeds", 0);
    set("dbcache", 16);
    set("maxmempool", 64);
    set("fallbackfee", "0.0002");
  }
  for (const [key, value] of Object.entries(node.options) as [string, OptionValue][]) {
    const given = (Array.isArray(value) ? value : [value]).map(optionText);
    if (LIST_OPTIONS.has(key) || Array.isArray(value)) options.set(key, [...(options.get(key) ?? []), ...given]);
    else options.set(key, given);
  }
  // Swarm mode: a task rescheduled onto another host starts with an empty volume (no kept edges), so its
  // outbound edges are also startup options; bitcoind resolves the service names again on every attempt.
  if (addNodes.length > 0) options.set("addnode", [...(options.get("addnode") ?? []), ...addNodes]);
  return [...options].flatMap(([key, values]) => values.map((value) => `-${key}=${value}`));
}

function nodeHealthcheck(): HealthcheckPlan {
  return { test: ["CMD", "bitcoin-cli", "-rpcclienttimeout=5", "getblockchaininfo"], interval: "10s", timeout: "10s", retries: 3, startPeriod: "120s", startInterval: "1s" };
}

function labelsFor(settings: StackSettings, node: LabNode): Labels {
  return {
    "netlab.stack": settings.stack,
    "netlab.node": node.name,
    "netlab.role": node.role,
    "netlab.implementation": node.implementation,
    "netlab.version": node.version,
    // Experiments read the miners' shares from the running lab (netlab experiment mining).
    ...(node.hashrate === undefined ? {} : { "netlab.hashrate": String(node.hashrate) }),
  };
}

function listens(node: LabNode): boolean {
  const listen = node.options.listen;
  return listen === undefined || !["0", "false"].includes(String(listen).toLowerCase());
}

/** What a node runs: the planned image (or its stand-in), and what the topology asked for. */
function nodeIdentity(node: LabNode, settings: StackSettings): Pick<NodePlan, "image" | "implementation" | "version" | "role"> {
  const planned = imageName(node.implementation, node.version);
  return { image: settings.imageOverrides?.[planned] ?? planned, implementation: node.implementation, version: node.version, role: node.role };
}

/** How a node's container runs, alike as a container and as a Swarm task. */
function nodeRuntime(node: LabNode, topology: Topology): Pick<NodePlan, "restart" | "stopTimeout" | "stopSignal" | "init" | "cpus" | "memoryMb"> {
  return { restart: "unless-stopped", stopTimeout: CHAIN_PARAMS[topology.chain].public ? 300 : 60, stopSignal: "SIGTERM", init: true, cpus: node.cpus, memoryMb: node.memoryMb };
}

function nodePlan(node: LabNode, index: number, topology: Topology, settings: StackSettings, network: string, host: HostSpec, hosts: HostSpec[], relayed: boolean): NodePlan {
  if (settings.mode === "swarm") return swarmNodePlan(node, index, topology, settings, network, host);
  const chain = CHAIN_PARAMS[topology.chain];
  const ip = addressAt(settings.subnet, FIRST_NODE_OFFSET + index);
  const rpcHostPort = settings.portBase + index;
  const p2pHostPort = settings.portBase + P2P_PORT_OFFSET + index;
  const multiHost = hosts.length > 1;
  // Nodes on the public network that accept peers are reachable from outside; in a lab over several hosts every
  // node is reachable on its host's address, for edges from other hosts. A one-host regtest lab stays inside.
  const publishP2p = (chain.public && listens(node)) || multiHost;
  const p2pBind = chain.public ? "0.0.0.0" : host.address;
  // The services (exporter, viewer) run on the first host; on the others RPC is published on the host's address
  // for them, and only them (rpcallowip), behind the stack's rpcauth.
  const servicesHost = hosts[0]!;
  const remote = host.name !== servicesHost.name;
  const rpcBind = remote ? host.address : "127.0.0.1";
  const container = `${settings.stack}-${node.name}`;
  return {
    node: node.name,
    container,
    hostname: container,
    ...nodeIdentity(node, settings),
    command: bitcoindArgs(node, topology, settings, { otherHosts: multiHost ? hosts.filter((h) => h.name !== host.name) : [], addNodes: [], relayed, rpcFrom: remote ? [servicesHost.address] : [] }),
    env: [`NETLAB_STACK=${settings.stack}`, `NETLAB_NODE=${node.name}`],
    labels: labelsFor(settings, node),
    network,
    ip,
    ports: [
      { internal: chain.rpcPort, external: rpcHostPort, ip: rpcBind, protocol: "tcp" },
      ...(publishP2p ? [{ internal: chain.p2pPort, external: p2pHostPort, ip: p2pBind, protocol: "tcp" as const }] : []),
    ],
    volume: { name: `${container}-data`, containerPath: DATA_DIR },
    healthcheck: nodeHealthcheck(),
    ...nodeRuntime(node, topology),
    p2pAddress: `${ip}:${chain.p2pPort}`,
    rpcHostAddress: `${rpcBind}:${rpcHostPort}`,
    p2pHostAddress: publishP2p ? `${p2pBind}:${p2pHostPort}` : undefined,
    host: host.name,
    docker: dockerCli(host),
  };
}

/**
 * A node as a Swarm service: no fixed address (the overlay's IPAM gives each task one), reached by its service
 * name; RPC is not published (a host-mode port would bind every interface of the host), P2P only on public chains.
 */
function swarmNodePlan(node: LabNode, index: number, topology: Topology, settings: StackSettings, network: string, host: HostSpec): NodePlan {
  const chain = CHAIN_PARAMS[topology.chain];
  const service = `${settings.stack}-${node.name}`;
  const p2pHostPort = settings.portBase + P2P_PORT_OFFSET + index;
  const publishP2p = chain.public && listens(node);
  const addNodes = topology.edges.filter((edge) => edge.from === node.name).map((edge) => `${settings.stack}-${edge.to}:${chain.p2pPort}`);
  return {
    node: node.name,
    container: service,
    hostname: service,
    ...nodeIdentity(node, settings),
    command: bitcoindArgs(node, topology, settings, { otherHosts: [], addNodes, relayed: false, rpcFrom: [] }),
    env: [`NETLAB_STACK=${settings.stack}`, `NETLAB_NODE=${node.name}`],
    labels: labelsFor(settings, node),
    network,
    ip: service,
    ports: publishP2p ? [{ internal: chain.p2pPort, external: p2pHostPort, ip: "0.0.0.0", protocol: "tcp" }] : [],
    volume: { name: `${service}-data`, containerPath: DATA_DIR },
    healthcheck: nodeHealthcheck(),
    swarm: swarmTask(service, host),
    ...nodeRuntime(node, topology),
    p2pAddress: `${service}:${chain.p2pPort}`,
    rpcHostAddress: `${service}:${chain.rpcPort}`,
    p2pHostAddress: publishP2p ? `${host.address}:${p2pHostPort}` : undefined,
    host: host.name,
    docker: dockerCli(host),
  };
}

/** The command that runs `args` in a node's container: `docker exec`, or in swarm mode wherever its task runs. */
function execIn(node: NodePlan, hosts: Map<string, HostSpec>, args: string): string {
  if (node.swarm === undefined) return `${node.docker} exec ${node.container} ${args}`;
  return taskExec(node.swarm.service, hosts.get(node.host)!, [...hosts.values()], args);
}

function edgePlan(edge: Topology["edges"][number], from: NodePlan, to: NodePlan, toIndex: number, hosts: Map<string, HostSpec>): EdgePlan {
  if (from.swarm !== undefined)
    return {
      name: `${from.node}-to-${to.node}`,
      from: from.node,
      to: to.node,
      target: to.p2pAddress,
      create: execIn(from, hosts, `netlab-edge add ${to.p2pAddress}`),
      delete: execIn(from, hosts, `netlab-edge remove ${to.p2pAddress}`),
    };
  // Across hosts the dialler reaches the target through the target host's address and published port.
  const p2pPort = Number(to.p2pAddress.slice(to.p2pAddress.lastIndexOf(":") + 1));
  const published = to.ports.find((port) => port.internal === p2pPort)?.external;
  const direct = from.host === to.host ? to.p2pAddress : `${hosts.get(to.host)!.address}:${published}`;
  const target = needsRelay(edge.link) ? `127.0.0.1:${RELAY_PORT_BASE + toIndex}` : direct;
  return {
    name: `${from.node}-to-${to.node}`,
    from: from.node,
    to: to.node,
    target,
    ...(edge.link === undefined ? {} : { link: edge.link }),
    ...(target === direct ? {} : { relayTarget: direct }),
    create: `${from.docker} exec ${from.container} netlab-edge add ${target}`,
    delete: `${from.docker} exec ${from.container} netlab-edge remove ${target}`,
  };
}

const hostPort = (address: string): [string, number] => {
  const at = address.lastIndexOf(":");
  return [address.slice(0, at), Number(address.slice(at + 1))];
};

/** Nodes with conditioned edges get their link plan (in env NETLAB_LINK), NET_ADMIN, and a label mapping their
 * relay addresses to peers (for the viewer). Other nodes stay exactly as they were. */
function withLinks(nodes: NodePlan[], edges: EdgePlan[], hosts: Map<string, HostSpec>): NodePlan[] {
  const indexOf = new Map(nodes.map((node, i) => [node.node, i] as const));
  const byName = new Map(nodes.map((node) => [node.node, node] as const));
  const ends = new Map<string, LinkEnd[]>();
  const add = (node: string, end: LinkEnd) => ends.set(node, [...(ends.get(node) ?? []), end]);
  for (const edge of edges) {
    if (edge.link === undefined) continue;
    const from = byName.get(edge.from)!;
    const [peerIp, peerPort] = hostPort(edge.relayTarget ?? edge.target);
    const relay =
      edge.relayTarget === undefined
        ? undefined
        : { peer: edge.to, port: hostPort(edge.target)[1], target: edge.relayTarget, latencyMs: edge.link.latencyMs ?? 0, jitterMs: edge.link.jitterMs ?? 0 };
    add(edge.from, { peer: edge.to, peerIp, peerPort, peerIndex: indexOf.get(edge.to)!, dials: true, relay, link: edge.link });
    // The target sees the dialler at its container address, or at its host's address from another host.
    const to = byName.get(edge.to)!;
    const fromIp = from.host === to.host ? from.ip : hosts.get(from.host)!.address;
    add(edge.to, { peer: edge.from, peerIp: fromIp, peerPort: undefined, peerIndex: indexOf.get(edge.from)!, dials: false, relay: undefined, link: edge.link });
  }
  return nodes.map((node) => {
    const link = nodeLinkPlan(ends.get(node.node) ?? []);
    if (link === undefined) return node;
    const relays = relaysLabel(link.relays);
    const dialled = edges.filter((edge) => edge.from === node.node && edge.link !== undefined);
    // For the viewer and experiments, which find a lab by its labels: relay address → peer, peer → conditions.
    const labels: Labels = {
      ...(relays === "" ? {} : { "netlab.relays": relays }),
      ...(dialled.length === 0 ? {} : { "netlab.links": JSON.stringify(Object.fromEntries(dialled.map((edge) => [edge.to, edge.link]))) }),
    };
    return {
      ...node,
      env: [...node.env, `NETLAB_LINK=${JSON.stringify(link)}`],
      labels: { ...node.labels, ...labels },
      link,
      capAdd: ["NET_ADMIN"],
    };
  });
}

/** Blocks mined at bootstrap on regtest: 100 confirmations make the first coinbase spendable. */
export const MATURE_HEIGHT = 101;

/** Regtest miners and wallets get a wallet that loads on every start; the first miner matures the chain. */
function bootstrapPlan(topology: Topology, nodes: NodePlan[], hosts: Map<string, HostSpec>): BootstrapStep[] {
  if (topology.chain !== "regtest") return [];
  const steps: BootstrapStep[] = nodes
    .filter((node) => node.role === "miner" || node.role === "wallet")
    .map((node) => ({
      name: `${node.node}-wallet`,
      node: node.node,
      create: execIn(node, hosts, `netlab-bootstrap wallet ${node.role}`),
    }));
  const miner = nodes.find((node) => node.role === "miner");
  if (miner !== undefined)
    steps.push({ name: "mature-chain", node: miner.node, create: execIn(miner, hosts, `netlab-bootstrap mature ${MATURE_HEIGHT}`) });
  return steps;
}

export function buildPlan(topology: Topology, settings: StackSettings): LabPlan {
  checkStackSettings(settings);
  const capacity = nodeCapacity(settings.subnet);
  if (topology.nodes.length > capacity)
    throw new TopologyError(topology.source, [
      { path: ["nodes"], message: `${topology.nodes.length} nodes do not fit stack "${settings.stack}" (subnet ${settings.subnet} has room for ${capacity}); use a larger subnet` },
    ]);

  const stackLabels = { "netlab.stack": settings.stack };
  const networkName = `${settings.stack}-net`;
  const stackHosts = settings.hosts ?? [LOCAL_HOST];
  const placement = placeNodes(topology, stackHosts);
  // Hosts in the stack's order: the first runs the services; only hosts with nodes (or the services) take part.
  // In a Swarm every host takes part: any of them may run a node after a failover.
  const swarm = settings.mode === "swarm";
  const hosts = stackHosts.filter((host, i) => i === 0 || swarm || placement.includes(host));
  if (swarm && topology.edges.some((edge) => edge.link !== undefined))
    throw new TopologyError(topology.source, [{ path: ["edges"], message: `link conditions are not supported in swarm mode (stack "${settings.stack}"): deploy the lab on plain hosts, or drop latency/jitter/loss/bandwidth` }]);
  const relayed = new Set(topology.edges.filter((edge) => needsRelay(edge.link)).map((edge) => edge.from));
  const planned = topology.nodes.map((node, index) => nodePlan(node, index, topology, settings, networkName, placement[index]!, hosts, relayed.has(node.name)));
  const byName = new Map(planned.map((node) => [node.node, node] as const));
  const indexOf = new Map(planned.map((node, i) => [node.node, i] as const));

  const images = new Map<string, ImagePlan>();
  for (const node of topology.nodes) {
    const name = imageName(node.implementation, node.version);
    if (!images.has(name) && settings.imageOverrides?.[name] === undefined)
      images.set(name, {
        name,
        context: BITCOIND_CONTEXT,
        buildArgs: { IMPLEMENTATION: node.implementation, VERSION: node.version },
        labels: { "netlab.image": "bitcoind" },
        prepare: undefined,
      });
  }

  const hostByName = new Map(hosts.map((host) => [host.name, host] as const));
  const edges = topology.edges.map((edge) => edgePlan(edge, byName.get(edge.from)!, byName.get(edge.to)!, indexOf.get(edge.to)!, hostByName));
  const nodes = withLinks(planned, edges, hostByName);
  const rpcUser = settings.rpcAuth.split(":")[0]!;
  // Over several hosts or in a Swarm, the services on the first host learn the nodes from the plan (their engine
  // sees only its own containers), with RPC as they reach it: a plain node on their own host at its lab address.
  const labNodes = nodes.map((node) => (node.host === hosts[0]!.name && node.swarm === undefined ? { ...node, rpcHostAddress: `${node.ip}:${CHAIN_PARAMS[topology.chain].rpcPort}` } : node));
  const labFile = swarm || hosts.length > 1 ? `${JSON.stringify({ stack: settings.stack, topology: topology.name, chain: topology.chain, rpcUser, network: { name: networkName, subnet: settings.subnet }, nodes: labNodes, edges }, null, 2)}\n` : undefined;
  const services = servicesPlan({ chain: topology.chain, rpcUser }, settings, networkName, labFile);
  const serviceImages = SERVICE_IMAGES.filter((image) => services.some((s) => s.image === image.name));
  return {
    format: 1,
    stack: settings.stack,
    topology: topology.name,
    chain: topology.chain,
    rpcUser,
    hosts: hosts.map((host, i) => ({
      name: host.name,
      docker: host.docker,
      address: host.address,
      // What this host must have: its nodes' images, and on the first host the services'.
      images: [...serviceImages.filter(() => i === 0), ...images.values()]
        .map((image) => image.name)
        .filter((image) => (i === 0 && serviceImages.some((s) => s.name === image)) || nodes.some((n) => (swarm || n.host === host.name) && n.image === image)),
    })),
    // Services first, so that a node with a new image or volume is appended, not inserted.
    images: [...serviceImages, ...images.values()],
    network: {
      name: networkName,
      subnet: settings.subnet,
      gateway: addressAt(settings.subnet, 1),
      ...(swarm ? { driver: "overlay" as const, attachable: true as const } : { driver: "bridge" as const }),
      labels: stackLabels,
    },
    volumes: [
      ...services.flatMap((s) => (s.volume ? [{ name: s.volume.name, labels: { ...stackLabels, "netlab.service": s.service } }] : [])),
      ...nodes.map((node) => ({ name: node.volume.name, labels: { ...stackLabels, "netlab.node": node.node } })),
    ],
    nodes,
    edges,
    bootstrap: bootstrapPlan(topology, nodes, hostByName),
    services,
    ...(swarm ? { swarm: swarmPlan(hosts) } : {}),
  };
}

/** The plan as stable JSON text (what `netlab plan --json` prints). */
export function planJson(plan: LabPlan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
