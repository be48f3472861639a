// This machine's neighbour (ARP) table limit, and the plan's warning for the hosts that are this machine.
import { readFileSync } from "node:fs";
import { neighbourEntriesNeeded, neighbourTableWarning } from "../plan/neighbours.js";
import type { LabPlan } from "../plan/types.js";

/** net.ipv4.neigh.default.gc_thresh3 of this kernel; undefined where it cannot be read. */
export function localNeighbourLimit(): number | undefined {
  try {
    const value = Number(readFileSync("/proc/sys/net/ipv4/neigh/default/gc_thresh3", "utf8").trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Warnings for the plan's hosts served by the local engine (remote hosts' kernels cannot be read from here). */
export function localNeighbourWarnings(plan: LabPlan): string[] {
  const limit = localNeighbourLimit();
  const local = new Set(plan.hosts.filter((host) => host.docker === undefined || host.docker.startsWith("unix://")).map((host) => host.name));
  // Fake hosts on unix:// sockets share this kernel, and so its one table: their needs add up.
  const needed = [...neighbourEntriesNeeded(plan)].filter(([host]) => local.has(host)).reduce((sum, [, n]) => sum + n, 0);
  const warning = local.size === 0 ? undefined : neighbourTableWarning([...local].join(", "), needed, limit);
  return warning === undefined ? [] : [warning];
}
