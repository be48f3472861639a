// Finding the lab to draw: from the stack's Pulumi outputs, or without the Pulumi CLI, from the running
// containers' labels (RPC through the published 127.0.0.1 port, credentials from the node's cookie).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { pulumi, pulumiEnvironment } from "../src/lab/pulumi.js";
import { dockerEngine, listNodes, LabCommandError } from "../src/lab/docker.js";
import { CHAIN_PARAMS, chainFromArg } from "../src/plan/chains.js";
import { DATA_DIR } from "../src/plan/plan.js";
import { relaysFromLabel } from "../src/plan/link.js";
import { labOutputs, type LabOutputs } from "../src/plan/outputs.js";
import type { LabPlan } from "../src/plan/types.js";
import type { LabDescription, ManagedNode, RpcCredentials } from "./types.js";

const run = promisify(execFile);

export interface LabSource {
  describe(): Promise<LabDescription>;
  credentials(node: ManagedNode): Promise<RpcCredentials>;
}

interface InspectedContainer {
  Name: string;
  Config: { Cmd: string[] | null; Labels: Record<string, string> };
  NetworkSettings: {
    Networks: Record<string, { IPAddress: string; IPAMConfig?: { IPv4Address?: string } | null }>;
    Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
  };
}

export interface DockerSourceOptions {
  /** RPC user and password for every node; without them each node's cookie is read with `docker exec`. */
  credentials?: RpcCredentials;
  /** "host": RPC through each node's port published on 127.0.0.1; "lab-network": at the node's lab address
   * (for a viewer that runs inside the lab network). */
  rpcVia?: "host" | "lab-network";
  grafanaUrl?: string;
}

/** The plan's link labels: "netlab.relays" (127.0.0.1:<port>=<peer>,...) and "netlab.links" (JSON). */
export function linkLabels(labels: Record<string, string>): Pick<ManagedNode, "relays" | "links"> {
  const out: Pick<ManagedNode, "relays" | "links"> = {};
  const relays = relaysFromLabel(labels["netlab.relays"]);
  if (relays) out.relays = relays;
  try {
    if (labels["netlab.links"]) out.links = JSON.parse(labels["netlab.links"]) as ManagedNode["links"];
  } catch {
    // A label edited by hand: the lab still shows, without conditions.
  }
  return out;
}

export function dockerSource(stack: string, options: DockerSourceOptions = {}): LabSource {
  const chainOf = new Map<string, string>();
  return {
    async describe() {
      const containers = await listNodes(stack);
      if (containers.length === 0) return { stack, chain: "unknown", source: "docker", nodes: [], declaredEdges: [], ...(options.grafanaUrl ? { grafanaUrl: options.grafanaUrl } : {}) };
      const inspected = (await Promise.all(containers.map((c) => dockerEngine().getContainer(c.container).inspect()))) as unknown as InspectedContainer[];
      let chainName = "unknown";
      const nodes = inspected.map((container): ManagedNode => {
        const labels = container.Config.Labels;
        const arg = (container.Config.Cmd ?? []).find((a) => a.startsWith("-chain="))?.slice("-chain=".length) ?? "main";
        const chain = chainFromArg(arg) ?? "main";
        chainName = chain;
        const params = CHAIN_PARAMS[chain];
        const network = container.NetworkSettings.Networks[`${stack}-net`] ?? Object.values(container.NetworkSettings.Networks)[0];
        // A stopped container keeps its static address only in IPAMConfig.
        const ip = network?.IPAddress || network?.IPAMConfig?.IPv4Address || "";
        const binding = container.NetworkSettings.Ports?.[`${params.rpcPort}/tcp`]?.find((b) => b.HostIp === "127.0.0.1");
        const name = labels["netlab.node"] ?? container.Name.replace(/^\//, "");
        const containerName = container.Name.replace(/^\//, "");
        chainOf.set(containerName, chain);
        return {
          name,
          container: containerName,
          ip,
          p2p: `${ip}:${params.p2pPort}`,
          role: labels["netlab.role"] ?? "relay",
          implementation: labels["netlab.implementation"] ?? "unknown",
          version: labels["netlab.version"] ?? "unknown",
          // A stopped container has neither binding nor address: the node then shows as down.
          host: "local",
          rpcUrl: options.rpcVia !== "lab-network" && binding ? `http://127.0.0.1:${binding.HostPort}` : `http://${ip || "0.0.0.0"}:${params.rpcPort}`,
          ...linkLabels(labels),
        };
      });
      return { stack, chain: chainName, source: "docker", nodes, declaredEdges: [], ...(options.grafanaUrl ? { grafanaUrl: options.grafanaUrl } : {}) };
    },
    async credentials(node) {
      if (options.credentials) return options.credentials;
      const chain = CHAIN_PARAMS[(chainOf.get(node.container) ?? "regtest") as keyof typeof CHAIN_PARAMS];
      const cookie = [DATA_DIR, chain.dataSubdir, ".cookie"].filter(Boolean).join("/");
      try {
        const { stdout } = await run("docker", ["exec", node.container, "cat", cookie], { timeout: 10_000 });
        const [username = "", password = ""] = stdout.trim().split(":");
        return { username, password };
      } catch (error) {
        throw new LabCommandError(`cannot read the RPC cookie of ${node.container}: ${((error as { stderr?: string }).stderr ?? String(error)).trim()}`);
      }
    },
  };
}

/** A node's relays and link conditions from the stack's edges (relayed edges dial 127.0.0.1). */
function relaysFromEdges(edges: StackOutputs["edges"]): Pick<ManagedNode, "relays" | "links"> {
  const out: Pick<ManagedNode, "relays" | "links"> = {};
  const relayed = edges.filter((edge) => edge.target.startsWith("127.0.0.1:"));
  const conditioned = edges.filter((edge) => edge.link !== undefined);
  if (relayed.length > 0) out.relays = Object.fromEntries(relayed.map((edge) => [edge.target, edge.to]));
  if (conditioned.length > 0) out.links = Object.fromEntries(conditioned.map((edge) => [edge.to, edge.link!]));
  return out;
}

/** Stack outputs as `pulumi stack output --json --show-secrets` prints them. */
export type StackOutputs = LabOutputs & { rpc: { user: string; password: string }; grafanaUrl?: string };

export function describeOutputs(outputs: StackOutputs): LabDescription {
  return {
    stack: outputs.stack,
    chain: outputs.chain,
    source: "pulumi",
    nodes: outputs.nodes.map((node) => ({
      ...relaysFromEdges(outputs.edges.filter((edge) => edge.from === node.name)),
      name: node.name,
      container: node.container,
      ip: node.ip,
      p2p: node.p2p,
      role: node.role,
      implementation: node.implementation,
      version: node.version,
      rpcUrl: `http://${node.rpc}`,
      host: node.host,
    })),
    declaredEdges: outputs.edges.map(({ from, to }) => ({ from, to })),
    ...(outputs.grafanaUrl === undefined ? {} : { grafanaUrl: outputs.grafanaUrl }),
  };
}

/** A lab described by stack outputs (or by the same outputs computed from a plan file, with its password). */
export function outputsSource(outputs: StackOutputs): LabSource {
  return {
    describe: async () => describeOutputs(outputs),
    credentials: async () => ({ username: outputs.rpc.user, password: outputs.rpc.password }),
  };
}

export function planSource(plan: LabPlan, password: string): LabSource {
  return outputsSource({ ...labOutputs(plan), rpc: { user: plan.rpcUser, password } });
}

export function pulumiSource(stack: string): LabSource {
  const result = pulumi(["stack", "output", "--json", "--show-secrets", "--stack", stack], pulumiEnvironment(), { stdio: "pipe", encoding: "utf8" });
  if (result.status !== 0) throw new LabCommandError(`pulumi stack output for stack "${stack}" failed: ${String(result.stderr).trim()}`);
  return outputsSource(JSON.parse(String(result.stdout)) as StackOutputs);
}
