// Docker engines through their API (dockerode): one client per endpoint, plus exec and logs without the CLI.
// `endpoint` is a DOCKER_HOST-style URL (unix://, tcp://, ssh://); undefined is the local engine (or DOCKER_HOST).
import Docker from "dockerode";
import { PassThrough } from "node:stream";
import { sleep } from "./util.js";

const clients = new Map<string, Docker>();

function clientOptions(endpoint: string): Docker.DockerOptions {
  const url = new URL(endpoint);
  if (url.protocol === "unix:") return { socketPath: url.pathname };
  if (url.protocol === "tcp:") return { host: url.hostname, port: Number(url.port || 2375), protocol: "http" };
  if (url.protocol === "ssh:") return { protocol: "ssh", host: url.hostname, ...(url.port ? { port: Number(url.port) } : {}), ...(url.username ? { username: url.username } : {}) };
  throw new Error(`unsupported Docker endpoint ${endpoint}`);
}

export function docker(endpoint?: string): Docker {
  const key = endpoint ?? "";
  let client = clients.get(key);
  if (client === undefined) {
    client = endpoint === undefined ? new Docker() : new Docker(clientOptions(endpoint));
    clients.set(key, client);
  }
  return client;
}

function statusCode(error: unknown): number | undefined {
  return (error as { statusCode?: number } | null)?.statusCode;
}

/** Inspect data of a container by name, or undefined when there is none. */
export async function inspectContainer(name: string, endpoint?: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker(endpoint).getContainer(name).inspect();
  } catch (error) {
    if (statusCode(error) === 404) return undefined;
    throw error;
  }
}

export async function inspectNetwork(name: string, endpoint?: string): Promise<Docker.NetworkInspectInfo | undefined> {
  try {
    return (await docker(endpoint).getNetwork(name).inspect()) as Docker.NetworkInspectInfo;
  } catch (error) {
    if (statusCode(error) === 404) return undefined;
    throw error;
  }
}

/**
 * Stops (within the container's own stop timeout, so bitcoind flushes its state) and removes, like Pulumi
 * does; a container that is already gone is fine.
 */
export async function removeContainer(name: string, endpoint?: string): Promise<void> {
  try {
    const container = docker(endpoint).getContainer(name);
    await container.stop().catch((error: unknown) => {
      if (statusCode(error) !== 304) throw error; // 304: already stopped
    });
    await container.remove({ force: true });
  } catch (error) {
    if (statusCode(error) !== 404) throw error;
  }
}

export async function removeVolume(name: string, endpoint?: string): Promise<void> {
  try {
    await docker(endpoint).getVolume(name).remove();
  } catch (error) {
    if (statusCode(error) !== 404) throw error;
  }
}

export async function removeNetwork(name: string, endpoint?: string): Promise<void> {
  try {
    await docker(endpoint).getNetwork(name).remove();
  } catch (error) {
    if (statusCode(error) !== 404) throw error;
  }
}

/** Splits Docker's multiplexed (non-TTY) log/attach stream: 8-byte frame headers, then the payload. */
export function demuxFrames(buffer: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const kind = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    const payload = buffer.subarray(offset + 8, offset + 8 + size);
    (kind === 2 ? err : out).push(payload);
    offset += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

/** The last lines a container printed (stdout and stderr, in order), for error messages. */
export async function lastLogLines(name: string, lines = 20, endpoint?: string): Promise<string> {
  try {
    const raw = (await docker(endpoint).getContainer(name).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    const { stdout, stderr } = demuxFrames(raw);
    const text = `${stdout}${stderr}`.trimEnd();
    return text === "" ? "(no output)" : text;
  } catch (error) {
    return `(no logs: ${(error as Error).message})`;
  }
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in a running container, like `docker exec`, and collects its output. */
export async function execIn(container: string, cmd: string[], endpoint?: string): Promise<ExecResult> {
  const exec = await docker(endpoint).getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const out = new PassThrough().on("data", (chunk: Buffer) => stdout.push(chunk));
  const err = new PassThrough().on("data", (chunk: Buffer) => stderr.push(chunk));
  docker(endpoint).modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
  });
  // The stream can end a moment before the engine records the exit code.
  let info = await exec.inspect();
  for (let tries = 0; info.Running && tries < 100; tries++) {
    await sleep(20);
    info = await exec.inspect();
  }
  return {
    exitCode: info.ExitCode ?? -1,
    stdout: Buffer.concat(stdout).toString("utf8"),
    stderr: Buffer.concat(stderr).toString("utf8"),
  };
}

export class BitcoinCliError extends Error {
  override name = "BitcoinCliError";
}

/** `docker exec <container> bitcoin-cli <args>`: parsed JSON when the answer is JSON, else the trimmed text. */
export function bitcoinCli<T = unknown>(container: string, ...args: string[]): Promise<T> {
  return bitcoinCliOn<T>(undefined, container, ...args);
}

/** bitcoin-cli in a container of the engine at `endpoint`. */
export async function bitcoinCliOn<T = unknown>(endpoint: string | undefined, container: string, ...args: string[]): Promise<T> {
  const result = await execIn(container, ["bitcoin-cli", ...args], endpoint);
  if (result.exitCode !== 0)
    throw new BitcoinCliError(`${container}: bitcoin-cli ${args.join(" ")} exited ${result.exitCode}: ${result.stderr.trim() || result.stdout.trim()}`);
  const text = result.stdout.trim();
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as T;
  }
}
