// Failover in a Swarm lab: a node is pinned to its planned host by the node label netlab.takes.<host>=true
// (src/plan/swarm.ts). Giving that label to other Swarm nodes lets the Swarm run the host's nodes there;
// failback takes it away again, and the Swarm moves them home.
import type Docker from "dockerode";
import { hostLabel } from "../plan/swarm.js";
import { dockerEngine, LabCommandError } from "./docker.js";

const ADOPTED = (host: string) => `netlab.adopted.${host}`;

interface SwarmNodeInfo {
  ID: string;
  Version: { Index: number };
  Spec: { Labels?: Record<string, string>; Role: string; Availability: string } & Record<string, unknown>;
  Description: { Hostname: string };
  Status: { State: string };
}

async function swarmNodes(engine: Docker): Promise<SwarmNodeInfo[]> {
  try {
    return (await engine.listNodes()) as SwarmNodeInfo[];
  } catch (error) {
    throw new LabCommandError(`cannot list Swarm nodes (the engine must be a Swarm manager): ${(error as Error).message}`);
  }
}

async function setLabels(engine: Docker, node: SwarmNodeInfo, change: (labels: Record<string, string>) => Record<string, string>): Promise<void> {
  await engine.getNode(node.ID).update({ version: node.Version.Index, ...node.Spec, Labels: change({ ...node.Spec.Labels }) });
}

/**
 * Gives `host`'s label to every ready, active Swarm node that lacks it (marked as adopted, for failback).
 * Returns the hostnames that took it; none is an error, since the host's nodes would stay down.
 */
export async function failover(host: string, engine: Docker = dockerEngine()): Promise<string[]> {
  const label = hostLabel(host);
  const nodes = await swarmNodes(engine);
  if (!nodes.some((node) => node.Spec.Labels?.[label] === "true"))
    throw new LabCommandError(`no Swarm node carries ${label}=true: "${host}" is not a host of a Swarm lab on this manager`);
  const takers = nodes.filter((node) => node.Status.State === "ready" && node.Spec.Availability === "active" && node.Spec.Labels?.[label] !== "true");
  if (takers.length === 0) throw new LabCommandError(`no other ready Swarm node can take the nodes of "${host}"`);
  for (const node of takers) await setLabels(engine, node, (labels) => ({ ...labels, [label]: "true", [ADOPTED(host)]: "true" }));
  return takers.map((node) => node.Description.Hostname).sort();
}

/** Takes `host`'s label back from the nodes that adopted it; the Swarm then moves its nodes home. */
export async function failback(host: string, engine: Docker = dockerEngine()): Promise<string[]> {
  const adopters = (await swarmNodes(engine)).filter((node) => node.Spec.Labels?.[ADOPTED(host)] === "true");
  for (const node of adopters)
    await setLabels(engine, node, (labels) => {
      delete labels[hostLabel(host)];
      delete labels[ADOPTED(host)];
      return labels;
    });
  return adopters.map((node) => node.Description.Hostname).sort();
}

const ready = (node: SwarmNodeInfo) => node.Status.State === "ready" && node.Spec.Availability === "active";

/** One look at the Swarm: the hosts to fail over (no ready node carries their label) and to fail back. */
export async function failoverStep(engine: Docker, log: (message: string) => void): Promise<void> {
  const nodes = await swarmNodes(engine);
  const hosts = new Set(nodes.flatMap((node) => Object.keys(node.Spec.Labels ?? {}).filter((key) => key.startsWith("netlab.takes.")).map((key) => key.slice("netlab.takes.".length))));
  for (const host of hosts) {
    const label = hostLabel(host);
    const carriers = nodes.filter((node) => node.Spec.Labels?.[label] === "true");
    const owners = carriers.filter((node) => node.Spec.Labels?.[ADOPTED(host)] !== "true");
    const adopters = carriers.filter((node) => node.Spec.Labels?.[ADOPTED(host)] === "true");
    if (!carriers.some(ready) && nodes.some(ready)) log(`${host}: no ready Swarm node runs its lab nodes; failover to ${(await failover(host, engine)).join(", ")}`);
    else if (owners.some(ready) && adopters.length > 0) log(`${host}: back; failback from ${(await failback(host, engine)).join(", ")}`);
  }
}

/**
 * `netlab swarm watch`: fails a lab host over as soon as the manager marks every Swarm node carrying its label
 * down, and back when its own node is ready again. Runs until `signal` aborts.
 */
export async function watchFailover(options: { engine?: Docker; intervalMs: number; log: (message: string) => void; signal: AbortSignal }): Promise<void> {
  const engine = options.engine ?? dockerEngine();
  while (!options.signal.aborted) {
    await failoverStep(engine, options.log).catch((error: Error) => options.log(`error: ${error.message}`));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.intervalMs);
      options.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}
