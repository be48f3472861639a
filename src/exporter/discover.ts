import type Docker from "dockerode";
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
          ...(c.Labels["netlab.relays"] ? { relays: Object.fromEntries(c.Labels["netlab.relays"].split(",").map((pair) => pair.split("=") as [string, string])) } : {}),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
  };
}
