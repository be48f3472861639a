// The kernel's IPv4 neighbour (ARP) table is one table for the host and every container's network namespace.
// A lab needs an entry per peer connection at each end, plus the host's and the containers' entries for each
// other: past the table's hard limit (net.ipv4.neigh.default.gc_thresh3, 1024 by default) new entries fail and
// nodes silently lose peers. Measured (docs/scale.md): peaks of 67, 347, 695 and 1225 entries for labs of
// 10, 50, 100 and 200 nodes with 17, 97, 197 and 397 edges; 2 × edges + 3 × nodes matches up to 100 nodes and
// over-estimates at 200. The host's own entries (its LAN, other containers) come on top: a few, here 8.
import type { LabPlan } from "./types.js";

const HOST_OWN_ENTRIES = 8;

/** Neighbour entries the plan's lab needs on each of its hosts, by host name. */
export function neighbourEntriesNeeded(plan: LabPlan): Map<string, number> {
  const hostOf = new Map(plan.nodes.map((node) => [node.node, node.host] as const));
  const needed = new Map<string, number>(plan.hosts.map((host) => [host.name, HOST_OWN_ENTRIES]));
  const add = (host: string, entries: number) => needed.set(host, (needed.get(host) ?? 0) + entries);
  for (const node of plan.nodes) add(node.host, 3);
  // Each end of an edge: the container's entry for its peer (or, across hosts, its host's for the other host).
  for (const edge of plan.edges) for (const end of [edge.from, edge.to]) add(hostOf.get(end)!, 1);
  add(plan.hosts[0]!.name, plan.services.length * 2);
  return needed;
}

/**
 * A warning when a host's neighbour table limit leaves less than 10 % headroom over the lab's estimate, with the
 * command that raises it; undefined when there is room (or the limit is unknown).
 */
export function neighbourTableWarning(host: string, needed: number, gcThresh3: number | undefined): string | undefined {
  if (gcThresh3 === undefined || !Number.isFinite(gcThresh3) || needed * 1.1 <= gcThresh3) return undefined;
  const limit = 2 ** Math.ceil(Math.log2(needed * 2));
  return (
    `host ${host}: this lab needs about ${needed} entries in the kernel's neighbour (ARP) table, whose limit is ` +
    `${gcThresh3} (net.ipv4.neigh.default.gc_thresh3); past it nodes lose peers ("neighbor table overflow" in the kernel log). ` +
    `Raise it as root on that host: sysctl -w net.ipv4.neigh.default.gc_thresh1=${limit / 4} ` +
    `net.ipv4.neigh.default.gc_thresh2=${limit / 2} net.ipv4.neigh.default.gc_thresh3=${limit}`
  );
}
