// Docker hosts a stack runs on, and which node goes where. Placement is decided in declaration order, so
// appending a node never moves one that is already placed.
import ipaddr from "ipaddr.js";
import { TopologyError } from "../topology/errors.js";
import type { Topology } from "../topology/model.js";

export interface HostSpec {
  /** Name nodes refer to in the topology (`host:`). */
  name: string;
  /** Docker endpoint as DOCKER_HOST takes it (unix://, ssh://user@host, tcp://host:2376); unset = local engine. */
  docker?: string;
  /** Address the other hosts reach this one at (cross-host edges dial it). */
  address: string;
  labels?: Record<string, string>;
  /** At most this many nodes on the host. */
  maxNodes?: number;
  /** Swarm mode: the host's Swarm node hostname (`docker node ls`); default its name. */
  swarmNode?: string;
}

/** A stack without hosts runs on the local engine. */
export const LOCAL_HOST: HostSpec = { name: "local", address: "127.0.0.1" };

export function checkHosts(hosts: HostSpec[]): string[] {
  const problems: string[] = [];
  if (hosts.length === 0) problems.push("hosts must list at least one host");
  const seen = new Set<string>();
  for (const [i, host] of hosts.entries()) {
    const at = `hosts[${i}]`;
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(host.name ?? "")) problems.push(`${at}.name "${host.name}" must be lowercase letters, digits and "-", starting with a letter`);
    if (seen.has(host.name)) problems.push(`${at}.name "${host.name}" is used twice`);
    seen.add(host.name);
    if (host.docker !== undefined && !/^(unix|ssh|tcp):\/\/\S+$/.test(host.docker)) problems.push(`${at}.docker "${host.docker}" must be a unix://, ssh:// or tcp:// Docker endpoint`);
    if (!ipaddr.IPv4.isValid(host.address ?? "")) problems.push(`${at}.address "${host.address}" must be the IPv4 address other hosts reach it at`);
    if (host.swarmNode !== undefined && !/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(host.swarmNode)) problems.push(`${at}.swarmNode "${host.swarmNode}" must be a hostname`);
    if (host.maxNodes !== undefined && !(Number.isInteger(host.maxNodes) && host.maxNodes >= 1)) problems.push(`${at}.maxNodes must be a whole number of at least 1`);
  }
  return problems;
}

/** The host of every node, in node order; a node no host can take is a topology error naming the node. */
export function placeNodes(topology: Topology, hosts: HostSpec[]): HostSpec[] {
  const count = new Map<string, number>(hosts.map((host) => [host.name, 0]));
  const problems: { path: (string | number)[]; message: string }[] = [];
  const placed = topology.nodes.map((node, index) => {
    const eligible = hosts.filter(
      (host) =>
        (node.host === undefined || host.name === node.host) &&
        Object.entries(node.hostLabels).every(([key, value]) => host.labels?.[key] === value) &&
        count.get(host.name)! < (host.maxNodes ?? Number.POSITIVE_INFINITY),
    );
    if (eligible.length === 0) {
      const wanted = [node.host === undefined ? "" : `host "${node.host}"`, ...Object.entries(node.hostLabels).map(([k, v]) => `label ${k}=${v}`)].filter(Boolean).join(" and ");
      const known = hosts.map((h) => `${h.name}${h.labels && Object.keys(h.labels).length ? ` (${Object.entries(h.labels).map(([k, v]) => `${k}=${v}`).join(", ")})` : ""}`).join(", ");
      problems.push({ path: ["nodes", index, "host"], message: `no stack host can take node "${node.name}"${wanted ? ` (wants ${wanted})` : ""}; hosts: ${known}` });
      return hosts[0]!;
    }
    // spread: the eligible host with the fewest nodes so far; binpack: the first one with room.
    const host = topology.placement === "binpack" ? eligible[0]! : eligible.reduce((best, h) => (count.get(h.name)! < count.get(best.name)! ? h : best));
    count.set(host.name, count.get(host.name)! + 1);
    return host;
  });
  if (problems.length > 0) throw new TopologyError(topology.source, problems);
  return placed;
}

/** The docker CLI aimed at a host, as the plan's shell commands use it. */
export function dockerCli(host: HostSpec): string {
  return host.docker === undefined ? "docker" : `docker -H ${host.docker}`;
}
