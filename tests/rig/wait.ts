// Waiting for the lab: containers healthy (Docker's healthcheck), declared edges connected (getpeerinfo).
import type { EdgePlan, NodePlan } from "../../src/plan/types.js";
import { bitcoinCliOn, inspectContainer, lastLogLines } from "./docker.js";
import { poll, RigTimeoutError } from "./util.js";

export interface PeerInfo {
  id: number;
  addr: string;
  inbound: boolean;
  connection_type: string;
  synced_blocks: number;
  relaytxes: boolean;
}

export function peerInfo(container: string, endpoint?: string): Promise<PeerInfo[]> {
  return bitcoinCliOn<PeerInfo[]>(endpoint, container, "getpeerinfo");
}

/** Addresses this node dials as manual (addnode) peers. */
export async function manualOutbound(container: string, endpoint?: string): Promise<string[]> {
  return (await peerInfo(container, endpoint)).filter((peer) => !peer.inbound && peer.connection_type === "manual").map((peer) => peer.addr);
}

export class NodeUnhealthyError extends Error {
  override name = "NodeUnhealthyError";
}

/** A container to wait on, on the engine at `endpoint` (undefined: local). */
export type Waited = Pick<NodePlan, "node" | "container"> & { endpoint?: string | undefined };

async function failureReport(nodes: Waited[], header: string): Promise<string> {
  const parts = await Promise.all(nodes.slice(0, 5).map(async (node) => `--- ${node.node} (${node.container}), last log lines:\n${await lastLogLines(node.container, 20, node.endpoint)}`));
  return [header, ...parts].join("\n");
}

/**
 * Waits until every node's container reports healthy; fails early when one exits, restarts or turns unhealthy.
 * `fresh` names nodes whose containers were just created: any restart of theirs counts.
 */
export async function waitHealthy(
  nodes: Waited[],
  timeoutMs: number,
  fresh: ReadonlySet<string> = new Set(),
  /** Readiness instead of Docker's "healthy" (which engines before API 1.44 report only after the first interval). */
  ready?: (node: Waited) => Promise<boolean>,
): Promise<void> {
  if (nodes.length === 0) return;
  let waitingFor = nodes;
  const lastState = new Map<string, string>();
  const restartsAtStart = new Map<string, number>();
  try {
    await poll(
      `${nodes.length} containers to become healthy`,
      async () => {
        const states = await Promise.all(waitingFor.map(async (node) => [node, await inspectContainer(node.container, node.endpoint)] as const));
        for (const [node, info] of states) {
          if (info !== undefined && !restartsAtStart.has(node.node)) restartsAtStart.set(node.node, fresh.has(node.node) ? 0 : info.RestartCount);
          // bitcoind exits on a bad option; with restart=unless-stopped that shows as restarts, not as "exited".
          const restarts = info === undefined ? 0 : info.RestartCount - restartsAtStart.get(node.node)!;
          const state = info === undefined ? "missing" : restarts > 0 ? `restarting (${restarts}x)` : info.State.Health?.Status ?? info.State.Status;
          lastState.set(node.node, state);
          if (info === undefined || ["exited", "dead", "restarting"].includes(info.State.Status) || restarts > 0 || info.State.Health?.Status === "unhealthy")
            throw new NodeUnhealthyError(await failureReport([node], `node ${node.node} (${node.container}) is ${state}`));
        }
        const readiness = await Promise.all(
          states.map(async ([node, info]) => (ready ? info?.State.Running === true && (await ready(node).catch(() => false)) : info?.State.Health?.Status === "healthy")),
        );
        waitingFor = states.filter((_, i) => !readiness[i]).map(([node]) => node);
        return waitingFor.length === 0 ? true : undefined;
      },
      { timeoutMs, intervalMs: 500 },
    );
  } catch (error) {
    if (!(error instanceof RigTimeoutError)) throw error;
    const names = waitingFor.map((node) => `${node.node} (${lastState.get(node.node) ?? "?"})`).join(", ");
    throw new NodeUnhealthyError(await failureReport(waitingFor, `${error.message}; not healthy: ${names}`));
  }
}

/** Edges whose `from` node does not (yet) show a manual outbound connection to the edge's target. */
export async function unconnectedEdges(edges: EdgePlan[], containers: Map<string, string>, endpoints = new Map<string, string | undefined>()): Promise<EdgePlan[]> {
  const byFrom = new Map<string, EdgePlan[]>();
  for (const edge of edges) byFrom.set(edge.from, [...(byFrom.get(edge.from) ?? []), edge]);
  const missing = await Promise.all(
    [...byFrom].map(async ([from, fromEdges]) => {
      const container = containers.get(from);
      if (container === undefined) return fromEdges;
      const connected = new Set(await manualOutbound(container, endpoints.get(from)).catch(() => [] as string[]));
      return fromEdges.filter((edge) => !connected.has(edge.target));
    }),
  );
  return missing.flat();
}

export async function waitEdgesConnected(edges: EdgePlan[], containers: Map<string, string>, timeoutMs: number, endpoints = new Map<string, string | undefined>()): Promise<void> {
  let missing = edges;
  await poll(
    `${edges.length} edges to connect`,
    async () => {
      missing = await unconnectedEdges(missing, containers, endpoints);
      return missing.length === 0 ? true : undefined;
    },
    { timeoutMs, intervalMs: 500, describe: async () => `not connected: ${missing.map((edge) => `${edge.name} (${edge.target})`).join(", ")}` },
  );
}
