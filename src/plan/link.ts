// Link conditions → what each node's container does about them, decided here so the entrypoint only executes.
// Two mechanisms, because the plan cannot know the kernel: the container's entrypoint detects netem and runs
// `netem` commands if it can, else the `fallback` ones. Latency and jitter always go through a relay in the
// dialling node's container (127.0.0.1:<port> → target), so an edge's dial address does not depend on the
// kernel; with netem the relay forwards without delay and netem delays instead.
import { hasConditions, type LinkConditions } from "../topology/link.js";
import type { LinkRelayPlan, NodeLinkPlan } from "./types.js";

/** Relay listen port in the dialling container: this plus the target node's index (stable as nodes are added). */
export const RELAY_PORT_BASE = 40000;
/** The lab network's interface in a node container (its only network). */
export const LINK_DEVICE = "eth0";

/** One conditioned edge as seen from one of its ends. */
export interface LinkEnd {
  /** The node at the other end. */
  peer: string;
  /** Address the other end's traffic has on the wire here, and its P2P port when this end dials it. */
  peerIp: string;
  peerPort: number | undefined;
  /** Index of the other end's node, for stable class ids. */
  peerIndex: number;
  dials: boolean;
  /** Relay in this container, when this end dials through one. */
  relay: LinkRelayPlan | undefined;
  link: LinkConditions;
}

/** Edges that need the relay: latency or jitter. */
export const needsRelay = (link: LinkConditions | undefined): boolean => hasConditions(link) && ((link.latencyMs ?? 0) > 0 || (link.jitterMs ?? 0) > 0);

const ms = (value: number) => `${value}ms`;
const kbit = (value: number) => `${value}kbit`;
/** tbf needs at least one MTU-sized packet per token bucket, and some room at higher rates (10 ms worth). */
const burstBytes = (rateKbit: number) => Math.max(4096, Math.ceil((rateKbit * 1000) / 8 / 100));
const classId = (peerIndex: number) => (peerIndex + 16).toString(16);

function tc(...args: (string | number)[]): string[] {
  return ["tc", ...args.map(String)];
}

function filterTo(ip: string, id: string): string[] {
  return tc("filter", "add", "dev", LINK_DEVICE, "parent", "1:", "protocol", "ip", "prio", 1, "u32", "match", "ip", "dst", `${ip}/32`, "flowid", `1:${id}`);
}

/** With netem: per peer an htb class (the bandwidth, if any) with a netem leaf; each end delays its own egress. */
function netemCommands(ends: LinkEnd[]): string[][] {
  if (ends.length === 0) return [];
  const commands = [tc("qdisc", "add", "dev", LINK_DEVICE, "root", "handle", "1:", "htb")];
  for (const end of ends) {
    const id = classId(end.peerIndex);
    const rate = kbit(end.link.bandwidthKbit ?? 10_000_000);
    const netem = ["netem", "delay", ms(end.link.latencyMs ?? 0)];
    if (end.link.jitterMs) netem.push(ms(end.link.jitterMs));
    if (end.link.lossPercent) netem.push("loss", `${end.link.lossPercent}%`);
    commands.push(
      tc("class", "add", "dev", LINK_DEVICE, "parent", "1:", "classid", `1:${id}`, "htb", "rate", rate, "ceil", rate),
      tc("qdisc", "add", "dev", LINK_DEVICE, "parent", `1:${id}`, "handle", `${id}:`, ...netem),
      filterTo(end.peerIp, id),
    );
  }
  return commands;
}

/** Without netem: bandwidth as an htb class per peer with a tbf leaf (each end shapes its egress); loss as
 * iptables random drops on the dialling end, both directions, so TCP really retransmits. */
function fallbackCommands(ends: LinkEnd[]): string[][] {
  const limited = ends.filter((end) => end.link.bandwidthKbit);
  const commands: string[][] = [];
  if (limited.length > 0) commands.push(tc("qdisc", "add", "dev", LINK_DEVICE, "root", "handle", "1:", "htb"));
  for (const end of limited) {
    const id = classId(end.peerIndex);
    const rate = kbit(end.link.bandwidthKbit!);
    commands.push(
      tc("class", "add", "dev", LINK_DEVICE, "parent", "1:", "classid", `1:${id}`, "htb", "rate", rate, "ceil", rate),
      tc("qdisc", "add", "dev", LINK_DEVICE, "parent", `1:${id}`, "handle", `${id}:`, "tbf", "rate", rate, "burst", burstBytes(end.link.bandwidthKbit!), "latency", "500ms"),
      filterTo(end.peerIp, id),
    );
  }
  for (const end of ends.filter((e) => e.dials && e.link.lossPercent)) {
    const probability = String(end.link.lossPercent! / 100);
    const drop = ["-m", "statistic", "--mode", "random", "--probability", probability, "-j", "DROP"];
    commands.push(
      ["iptables", "-w", "-A", "OUTPUT", "-d", `${end.peerIp}/32`, "-p", "tcp", "--dport", String(end.peerPort), ...drop],
      ["iptables", "-w", "-A", "INPUT", "-s", `${end.peerIp}/32`, "-p", "tcp", "--sport", String(end.peerPort), ...drop],
    );
  }
  return commands;
}

/** Container label value mapping a node's relay addresses to the peers behind them: "127.0.0.1:<port>=<peer>,…". */
export function relaysLabel(relays: LinkRelayPlan[]): string {
  return relays.map((relay) => `127.0.0.1:${relay.port}=${relay.peer}`).join(",");
}

/** The mapping back from a relaysLabel value (undefined or empty: no relays). */
export function relaysFromLabel(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  return Object.fromEntries(text.split(",").map((pair) => pair.split("=") as [string, string]));
}

/** The node's link plan from its conditioned edges' ends, or undefined when it has none. */
export function nodeLinkPlan(ends: LinkEnd[]): NodeLinkPlan | undefined {
  if (ends.length === 0) return undefined;
  return {
    relays: ends.flatMap((end) => (end.relay ? [end.relay] : [])),
    netem: netemCommands(ends),
    fallback: fallbackCommands(ends),
  };
}
