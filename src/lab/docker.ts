// Finding a running lab's nodes by their Docker labels and talking to them with bitcoin-cli inside the
// container: no RPC credentials needed (cookie auth), and it works against any engine DOCKER_HOST names.
import Docker from "dockerode";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface LabContainer {
  container: string;
  state: string;
  stack: string;
  node: string;
  role: string;
  implementation: string;
  version: string;
  /** Miners: the hashrate share the topology declared (label netlab.hashrate); undefined without the label. */
  hashrate: number | undefined;
}

export class LabCommandError extends Error {
  override name = "LabCommandError";
}

async function docker(args: string[], timeoutMs = 60_000): Promise<string> {
  try {
    const { stdout } = await run("docker", args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === "ENOENT") throw new LabCommandError("the docker CLI is not installed or not on PATH");
    throw new LabCommandError((failure.stderr ?? failure.message).trim());
  }
}

let engine: Docker | undefined;
/** The Docker engine API client (DOCKER_HOST is honoured, as by the docker CLI). */
export function dockerEngine(): Docker {
  engine ??= new Docker();
  return engine;
}

/** Node containers of one stack (or of every stack), in a stable order. */
export async function listNodes(stack?: string): Promise<LabContainer[]> {
  let containers: Docker.ContainerInfo[];
  try {
    containers = await dockerEngine().listContainers({ all: true, filters: { label: [stack === undefined ? "netlab.stack" : `netlab.stack=${stack}`, "netlab.node"] } });
  } catch (error) {
    throw new LabCommandError(`cannot reach the Docker engine: ${(error as Error).message}`);
  }
  return containers
    .map((c) => ({
      container: (c.Names[0] ?? "").replace(/^\//, ""),
      state: c.State,
      stack: c.Labels["netlab.stack"] ?? "",
      node: c.Labels["netlab.node"] ?? "",
      role: c.Labels["netlab.role"] ?? "",
      implementation: c.Labels["netlab.implementation"] ?? "",
      version: c.Labels["netlab.version"] ?? "",
      hashrate: c.Labels["netlab.hashrate"] === undefined ? undefined : Number(c.Labels["netlab.hashrate"]),
    }))
    .sort((a, b) => a.stack.localeCompare(b.stack) || a.container.localeCompare(b.container, "en", { numeric: true }));
}

/** A node by its topology name (or container name); the stack may be left out when the name is unambiguous. */
export async function findNode(name: string, stack?: string): Promise<LabContainer> {
  const nodes = await listNodes(stack);
  const matches = nodes.filter((n) => n.node === name || n.container === name);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    const where = stack === undefined ? "any running lab" : `stack "${stack}"`;
    const known = nodes.map((n) => (stack === undefined ? `${n.stack}/${n.node}` : n.node)).join(", ");
    throw new LabCommandError(`no node "${name}" in ${where}${known ? ` (nodes: ${known})` : ""}`);
  }
  throw new LabCommandError(`node "${name}" exists in several stacks (${matches.map((n) => n.stack).join(", ")}): add --stack`);
}

/** Runs bitcoin-cli in the node's container; parses JSON answers, returns other answers as text. */
export async function bitcoinCli(container: string, args: string[], timeoutMs = 60_000): Promise<unknown> {
  const out = (await docker(["exec", container, "bitcoin-cli", "-rpcclienttimeout=30", ...args], timeoutMs)).trim();
  try {
    return JSON.parse(out);
  } catch {
    return out;
  }
}
