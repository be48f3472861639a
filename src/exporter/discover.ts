import type Docker from "dockerode";
import { lookup } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import { relaysFromLabel } from "../plan/link.js";
import type { NodePlan } from "../plan/types.js";
import type { ExporterNode } from "./exporter.js";

/** The lab's node containers, running or not, from their labels. */
export function labNodesFromDocker(docker: Docker, stack: string, rpcPort: number): () => Promise<ExporterNode[]> {
  return async () => {
    const containers = await docker.listContainers({ all: true, filters: { label: [`netlab.stack=${stack}`, "netlab.node"] } });
    return containers
      .map((c) => {
        const ip = c.NetworkSettings?.Networks?.[`${stack}-net`]?.IPAddress ?? "";
        return {
          name: c.Labels["netlab.node"]!,
          container: (c.Names[0] ?? "").replace(/^\//, ""),
          ip,
          role: c.Labels["netlab.role"] ?? "relay",
          rpcUrl: `http://${ip || "0.0.0.0"}:${rpcPort}`,
          ...withRelays(c.Labels),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
  };
}

/**
 * A Swarm lab's nodes from the manager's services (the exporter runs on the manager, on the overlay): RPC at
 * each service's name, the address its name resolves to (to recognise lab peers), container stats where the
 * task runs on this engine (elsewhere the stats are left out).
 */
export function labNodesFromSwarm(docker: Docker, stack: string, rpcPort: number, resolve: (name: string) => Promise<string> = resolveName): () => Promise<ExporterNode[]> {
  return async () => {
    const filters = { label: [`netlab.stack=${stack}`, "netlab.node"] };
    const [services, local] = await Promise.all([docker.listServices({ filters }), docker.listContainers({ filters })]);
    const localContainer = new Map(local.map((c) => [c.Labels["com.docker.swarm.service.name"], (c.Names[0] ?? "").replace(/^\//, "")] as const));
    const nodes = await Promise.all(
      services.map(async (service) => {
        const name = service.Spec!.Name!;
        const labels = service.Spec!.Labels ?? {};
        return {
          name: labels["netlab.node"]!,
          container: localContainer.get(name) ?? name,
          ip: await resolve(name).catch(() => ""),
          role: labels["netlab.role"] ?? "relay",
          rpcUrl: `http://${name}:${rpcPort}`,
        };
      }),
    );
    return nodes.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
  };
}

async function resolveName(name: string): Promise<string> {
  return (await lookup(name, { family: 4 })).address;
}

/** A lab over several plain hosts: the nodes of the lab file (the plan's, RPC as the first host reaches it). */
export function labNodesFromFile(file: string): () => Promise<ExporterNode[]> {
  return async () => {
    const lab = JSON.parse(await readFile(file, "utf8")) as { nodes: Pick<NodePlan, "node" | "container" | "ip" | "role" | "rpcHostAddress" | "labels">[] };
    return lab.nodes.map((node) => ({ name: node.node, container: node.container, ip: node.ip, role: node.role, rpcUrl: `http://${node.rpcHostAddress}`, ...withRelays(node.labels) }));
  };
}

/** Relays a node dials through (127.0.0.1:<port> → peer), from its netlab.relays label. */
function withRelays(labels: Record<string, string>): { relays?: Record<string, string> } {
  const relays = relaysFromLabel(labels["netlab.relays"]);
  return relays === undefined ? {} : { relays };
}
