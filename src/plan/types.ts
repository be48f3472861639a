// The lab plan: everything the Pulumi program and the test rig create, decided up front. Pure data.
import type { LinkConditions } from "../topology/link.js";
import type { Chain, Implementation, Role } from "../topology/schema.js";

export type Labels = Record<string, string>;

export interface ImagePlan {
  /** Local tag, e.g. bitcoin-netlab/bitcoind:knots-29.4, or a registry image to pull. */
  name: string;
  /** Build context, relative to the repository root; undefined for an image pulled from a registry. */
  context: string | undefined;
  buildArgs: Record<string, string>;
  labels: Labels;
  /** Shell command (run from the repository root) that completes the build context first. */
  prepare: string | undefined;
}

export interface NetworkPlan {
  name: string;
  subnet: string;
  gateway: string;
  /** "overlay" in swarm mode: one network the Swarm spans over every host. */
  driver: "bridge" | "overlay";
  /** Swarm mode: plain containers (the services on the manager) may join the overlay too. */
  attachable?: true;
  labels: Labels;
}

export interface VolumePlan {
  name: string;
  labels: Labels;
}

export interface PortPlan {
  internal: number;
  external: number;
  /** Host address the port is published on. */
  ip: string;
  protocol: "tcp";
}

export interface HealthcheckPlan {
  test: string[];
  interval: string;
  timeout: string;
  retries: number;
  startPeriod: string;
  startInterval: string;
}

/** A relay in the dialling node's container: listens on 127.0.0.1:<port>, forwards to the target. */
export interface LinkRelayPlan {
  peer: string;
  port: number;
  /** What the relay connects to: the peer's P2P address as the dialler would reach it without a relay. */
  target: string;
  /** Added to each chunk in each direction (when the kernel has no netem). */
  latencyMs: number;
  jitterMs: number;
}

/** Link conditions a node applies in its own network namespace (see src/plan/link.ts). */
export interface NodeLinkPlan {
  relays: LinkRelayPlan[];
  /** Commands (argv) when the kernel has netem; the relays then forward without delay. */
  netem: string[][];
  /** Commands when it has not: tbf for bandwidth, iptables for loss; the relays delay. */
  fallback: string[][];
}

export interface NodePlan {
  /** Node name in the topology. */
  node: string;
  container: string;
  hostname: string;
  image: string;
  implementation: Implementation;
  version: string;
  role: Role;
  /** bitcoind options, passed to the image's entrypoint, which writes them to bitcoin.conf. */
  command: string[];
  env: string[];
  labels: Labels;
  network: string;
  /** Fixed lab-network IPv4; in swarm mode the service's DNS name (tasks take addresses from the overlay). */
  ip: string;
  ports: PortPlan[];
  volume: { name: string; containerPath: string };
  healthcheck: HealthcheckPlan;
  /** Swarm mode only: how the node runs as a Swarm service. */
  swarm?: SwarmTaskPlan;
  restart: "unless-stopped";
  /** Seconds bitcoind gets to flush on stop before it is killed. */
  stopTimeout: number;
  stopSignal: "SIGTERM";
  /** A minimal init as PID 1: forwards signals to bitcoind and reaps the entrypoint's helper process. */
  init: true;
  cpus: number | undefined;
  memoryMb: number | undefined;
  /** Where other nodes reach it: <ip>:<p2p port>. */
  p2pAddress: string;
  /** RPC on the Docker host: 127.0.0.1:<port>; in swarm mode not published: <service>:<port> on the overlay. */
  rpcHostAddress: string;
  /** P2P as published on its host (public chains that accept peers; every node of a lab over several hosts). */
  p2pHostAddress: string | undefined;
  /** Name of the stack host the node runs on. */
  host: string;
  /** The docker CLI aimed at that host, as the plan's commands use it ("docker" for the local engine). */
  docker: string;
  /** Only on nodes with conditioned edges: what the entrypoint applies (also in env NETLAB_LINK). */
  link?: NodeLinkPlan;
  /** Only on nodes with conditioned edges: ["NET_ADMIN"], for tc and iptables in the node's namespace. */
  capAdd?: string[];
}

/** A node as a Swarm service: one replica, kept on its planned host, restarted and rescheduled by the Swarm. */
export interface SwarmTaskPlan {
  /** Service name, also its DNS name on the overlay (= the container name of the plain mode). */
  service: string;
  /** Placement constraints: the node label that marks the Swarm nodes allowed to run the planned host's nodes. */
  constraints: string[];
  restart: { condition: "any"; delay: string; maxAttempts: 0 };
  endpointMode: "dnsrr";
  /** Published ports bind every interface of the task's host (Swarm takes no host IP). */
  publishMode: "host";
}

/** Swarm mode: the manager deploys everything; each host's Swarm node carries the label its nodes are pinned to. */
export interface SwarmPlan {
  /** Stack host whose engine is the Swarm manager (the first host). */
  manager: string;
  /**
   * Per stack host: its Swarm node hostname, the label that pins its nodes, and the shell commands (run against the
   * manager) that put the label on that Swarm node and take it off.
   */
  nodes: { host: string; hostname: string; label: string; create: string; delete: string }[];
}

export interface EdgePlan {
  /** Resource name: <from>-to-<to>. */
  name: string;
  from: string;
  to: string;
  /** The address the `from` node dials (a relay in its container, 127.0.0.1:<port>, for latency or jitter). */
  target: string;
  /** Only on conditioned edges: the declared conditions. */
  link?: LinkConditions;
  /** Only on relayed edges: the address the relay forwards to. */
  relayTarget?: string;
  /** Shell commands run on the machine that runs Pulumi (or the rig): connect on create, disconnect on delete. */
  create: string;
  delete: string;
}

/** A file placed in a service container before it starts: literal content, a repository file, or a stack secret. */
export interface FilePlan {
  path: string;
  content?: string;
  /** Repository-relative path whose content is copied. */
  source?: string;
  /** Name of the stack secret that becomes the file's content; it never appears in env, args or labels. */
  secret?: "rpcPassword" | "grafanaPassword";
}

export type ServiceName = "graphite" | "grafana" | "exporter" | "viewer";

/** A lab service container (monitoring, viewer). */
export interface ServicePlan {
  service: ServiceName;
  container: string;
  hostname: string;
  image: string;
  /** Replaces the image's entrypoint (swarm mode's viewer reads its password file first). */
  entrypoint?: string[];
  command: string[];
  env: string[];
  labels: Labels;
  network: string;
  /** Fixed lab-network IPv4; in swarm mode the container's DNS name on the overlay. */
  ip: string;
  ports: (Omit<PortPlan, "protocol"> & { protocol: "tcp" | "udp" })[];
  volume: { name: string; containerPath: string } | undefined;
  files: FilePlan[];
  /** Host paths bind-mounted into the container (the exporter reads container stats from the Docker socket). */
  mounts: { source: string; target: string; readOnly: boolean }[];
  restart: "unless-stopped";
  /** Whether the container has a healthcheck the deploy can wait for. */
  healthy: boolean;
  /** Where users reach it on the Docker host, if published. */
  url: string | undefined;
}

/** A one-off step after the nodes and edges are up (wallets, the first blocks). Idempotent; runs in order. */
export interface BootstrapStep {
  name: string;
  node: string;
  create: string;
}

export interface LabPlan {
  /** Bumped when the plan's shape changes. */
  format: 1;
  stack: string;
  topology: string;
  chain: Chain;
  rpcUser: string;
  /** Docker hosts of the lab, in the stack's order; the first runs the services. */
  hosts: { name: string; docker: string | undefined; address: string; images: string[] }[];
  images: ImagePlan[];
  network: NetworkPlan;
  volumes: VolumePlan[];
  nodes: NodePlan[];
  edges: EdgePlan[];
  bootstrap: BootstrapStep[];
  /** Monitoring and viewer containers; empty when the stack turns monitoring off. */
  services: ServicePlan[];
  /** Swarm mode only (stack setting mode: swarm). */
  swarm?: SwarmPlan;
}
