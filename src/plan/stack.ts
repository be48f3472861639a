// Per-stack settings: each stack gets its own subnet and host-port range so several run side by side.
import ipaddr from "ipaddr.js";
import { checkHosts, type HostSpec } from "./hosts.js";

export interface StackSettings {
  /** Stack name; prefixes every container, network and volume. */
  stack: string;
  /** IPv4 CIDR of the stack's lab network. */
  subnet: string;
  /** First host port of the stack: node i publishes RPC on portBase+i and (public chains) P2P on portBase+500+i. */
  portBase: number;
  /** bitcoind rpcauth line for the stack's RPC user (a salted hash, not the password). */
  rpcAuth: string;
  /**
   * Images to run instead of the planned ones, by planned name (e.g. a local build of Core, or on machines that
   * cannot fetch Core releases, a Knots image standing in for it). Labels still say what the topology asked for.
   */
  imageOverrides?: Record<string, string>;
  /** Run the monitoring stack (exporter → StatsD → Graphite → Grafana) and the viewer; default true. */
  monitoring?: boolean;
  /** Seconds between the exporter's polls; default 10. */
  metricsInterval?: number;
  /** Docker hosts the lab spreads over; default the local engine only. */
  hosts?: HostSpec[];
  /**
   * "containers" (default): one container per node on its host's engine. "swarm": the hosts form a Docker Swarm
   * (the first is the manager) and each node is a Swarm service on an overlay network.
   */
  mode?: "containers" | "swarm";
}

/** Where the default stacks live; other stack names must set subnet and portBase in their config. */
export const STACK_DEFAULTS: Record<string, { subnet: string; portBase: number }> = {
  dev: { subnet: "10.77.1.0/24", portBase: 21000 },
  regtest: { subnet: "10.77.2.0/24", portBase: 22000 },
  testnet: { subnet: "10.77.3.0/24", portBase: 23000 },
  mainnet: { subnet: "10.77.4.0/24", portBase: 24000 },
};

/** Host ports per stack: RPC at portBase..+499, P2P at portBase+500..+989, services from portBase+990. */
export const PORT_RANGE = 1000;
export const P2P_PORT_OFFSET = 500;
/** Addresses below this offset in the subnet are kept for the gateway and the lab's services. */
export const FIRST_NODE_OFFSET = 10;
export const SERVICE_OFFSETS = { graphite: 2, grafana: 3, viewer: 4, exporter: 5 } as const;
/** Host ports of the services, after portBase. */
export const SERVICE_PORT_OFFSETS = { graphite: 990, grafana: 991, viewer: 992 } as const;

export class StackSettingsError extends Error {
  override name = "StackSettingsError";
}

export function checkStackSettings(settings: StackSettings): void {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(settings.stack))
    problems.push(`stack name "${settings.stack}" must be lowercase letters, digits and "-" (at most 21 characters), starting with a letter`);
  if (!ipaddr.IPv4.isValidCIDR(settings.subnet)) problems.push(`subnet "${settings.subnet}" is not an IPv4 CIDR such as 10.77.1.0/24`);
  else {
    const [address, bits] = ipaddr.IPv4.parseCIDR(settings.subnet);
    if (address.range() !== "private") problems.push(`subnet "${settings.subnet}" must be a private range (10/8, 172.16/12 or 192.168/16)`);
    if (bits > 26) problems.push(`subnet "${settings.subnet}" is too small: use /26 or larger`);
  }
  if (!Number.isInteger(settings.portBase) || settings.portBase < 1024 || settings.portBase + PORT_RANGE > 65536)
    problems.push(`portBase ${settings.portBase} must be a whole number from 1024 to ${65536 - PORT_RANGE}`);
  if (settings.metricsInterval !== undefined && !(Number.isInteger(settings.metricsInterval) && settings.metricsInterval >= 1 && settings.metricsInterval <= 3600))
    problems.push(`metricsInterval ${settings.metricsInterval} must be a whole number of seconds from 1 to 3600`);
  if (settings.hosts !== undefined) problems.push(...checkHosts(settings.hosts));
  if (settings.mode !== undefined && !["containers", "swarm"].includes(settings.mode)) problems.push(`mode "${settings.mode}" must be "containers" or "swarm"`);
  if (settings.mode === "swarm" && settings.hosts === undefined) problems.push('mode "swarm" needs hosts: the first host is the Swarm manager (netlab:hosts)');
  if (!/^[^:\s]+:[0-9a-f]+\$[0-9a-f]{64}$/.test(settings.rpcAuth)) problems.push("rpcAuth must be an rpcauth line: <user>:<salt>$<hmac>");
  if (problems.length > 0) throw new StackSettingsError(`stack "${settings.stack}": ${problems.join("; ")}`);
}

/** Settings for a stack from its defaults plus overrides (Pulumi config or CLI flags). */
export function stackSettings(stack: string, overrides: Partial<StackSettings> & { rpcAuth: string }): StackSettings {
  const defaults = STACK_DEFAULTS[stack];
  const subnet = overrides.subnet ?? defaults?.subnet;
  const portBase = overrides.portBase ?? defaults?.portBase;
  if (subnet === undefined || portBase === undefined)
    throw new StackSettingsError(`stack "${stack}" has no default subnet and port range: set both (Pulumi config netlab:subnet and netlab:portBase)`);
  const settings: StackSettings = { stack, subnet, portBase, rpcAuth: overrides.rpcAuth };
  if (overrides.imageOverrides !== undefined) settings.imageOverrides = overrides.imageOverrides;
  if (overrides.monitoring !== undefined) settings.monitoring = overrides.monitoring;
  if (overrides.metricsInterval !== undefined) settings.metricsInterval = overrides.metricsInterval;
  if (overrides.hosts !== undefined) settings.hosts = overrides.hosts;
  if (overrides.mode !== undefined) settings.mode = overrides.mode;
  checkStackSettings(settings);
  return settings;
}

/** Node slots available in a subnet: all host addresses past the reserved ones, less broadcast. */
export function nodeCapacity(subnet: string): number {
  const [, bits] = ipaddr.IPv4.parseCIDR(subnet);
  return Math.min(2 ** (32 - bits) - FIRST_NODE_OFFSET - 1, SERVICE_PORT_OFFSETS.graphite - P2P_PORT_OFFSET);
}

/** The address at `offset` within the subnet. */
export function addressAt(subnet: string, offset: number): string {
  const [address] = ipaddr.IPv4.parseCIDR(subnet);
  const base = address.toByteArray().reduce((n, byte) => n * 256 + byte, 0);
  const masked = base - (base % 2 ** (32 - ipaddr.IPv4.parseCIDR(subnet)[1]));
  const value = masked + offset;
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}
