// Test helpers around a lab the rig applied: RPC per node (through 127.0.0.1), and waiting on all nodes.
import type Docker from "dockerode";
import { execFile, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import type { RpcCredentials } from "../../src/plan/rpcauth.js";
import type { LabPlan, NodePlan } from "../../src/plan/types.js";
import { docker, inspectContainer, poll, rpcClient, type RpcClient } from "../rig/index.js";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);

export class Lab {
  constructor(
    public plan: LabPlan,
    readonly credentials: RpcCredentials,
  ) {}

  node(name: string): NodePlan {
    const node = this.plan.nodes.find((candidate) => candidate.node === name);
    if (node === undefined) throw new Error(`no node ${name} in the plan`);
    return node;
  }

  get names(): string[] {
    return this.plan.nodes.map((node) => node.node);
  }

  rpc(name: string, wallet?: string): RpcClient {
    return rpcClient(this.node(name).rpcHostAddress, this.credentials, wallet);
  }

  call<T = unknown>(name: string, method: string, ...params: unknown[]): Promise<T> {
    return this.rpc(name).call<T>(method, params);
  }

  wallet<T = unknown>(name: string, wallet: string, method: string, ...params: unknown[]): Promise<T> {
    return this.rpc(name, wallet).call<T>(method, params);
  }

  async each<T>(fn: (name: string) => Promise<T>, names = this.names): Promise<Record<string, T>> {
    return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await fn(name)] as const)));
  }

  heights(): Promise<Record<string, number>> {
    return this.each((name) => this.call<number>(name, "getblockcount"));
  }

  /** Polls until `check` holds on every node; returns ms until each node first passed it. */
  async waitAll(what: string, check: (name: string) => Promise<boolean>, options: { timeoutMs: number; names?: string[]; intervalMs?: number }): Promise<Record<string, number>> {
    const started = Date.now();
    const passed: Record<string, number> = {};
    let pending = options.names ?? this.names;
    await poll(
      what,
      async () => {
        const results = await Promise.all(pending.map(async (name) => [name, await check(name).catch(() => false)] as const));
        for (const [name, ok] of results) if (ok) passed[name] = Date.now() - started;
        pending = pending.filter((name) => passed[name] === undefined);
        return pending.length === 0 ? true : undefined;
      },
      { timeoutMs: options.timeoutMs, intervalMs: options.intervalMs ?? 100, describe: async () => `still waiting on: ${pending.join(", ")}` },
    );
    return passed;
  }

  /** Mines one block at `miner` (to its wallet `miner`) and returns the block hash. */
  async mine(miner: string): Promise<string> {
    const address = await this.wallet<string>(miner, "miner", "getnewaddress");
    const [hash] = await this.call<string[]>(miner, "generatetoaddress", 1, address);
    return hash!;
  }

  async waitForBlock(hash: string, timeoutMs = 30_000): Promise<Record<string, number>> {
    return this.waitAll(`block ${hash.slice(0, 16)}… on every node`, async (name) => (await this.call<string>(name, "getbestblockhash")) === hash, { timeoutMs });
  }

  async inspectAll(): Promise<Record<string, Docker.ContainerInspectInfo>> {
    return this.each(async (name) => {
      const info = await inspectContainer(this.node(name).container);
      if (info === undefined) throw new Error(`container of ${name} is missing`);
      return info;
    });
  }

  async startedAt(): Promise<Record<string, string>> {
    const all = await this.inspectAll();
    return Object.fromEntries(Object.entries(all).map(([name, info]) => [name, info.State.StartedAt]));
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.plan.nodes.map((node) => docker().getContainer(node.container).stop()));
  }

  async startAll(): Promise<void> {
    await Promise.all(this.plan.nodes.map((node) => docker().getContainer(node.container).start()));
  }
}

/** Keeps measured figures for the report in test-artifacts/ (git-ignored). */
export function writeArtifact(name: string, data: unknown): void {
  const dir = resolve(REPO_ROOT, "test-artifacts");
  mkdirSync(dir, { recursive: true });
  writeFileSync(resolve(dir, name), `${JSON.stringify(data, null, 2)}\n`);
}

/** Runs `netlab <args>` as a user would (bin/netlab.js, in the repository unless `cwd` says otherwise). */
export function netlab(args: string[], options: { cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [resolve(REPO_ROOT, "bin/netlab.js"), ...args], { cwd: options.cwd ?? REPO_ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

/** A ring of nine with one chord: the lab the tests spread over three (fake) Docker hosts. */
export const NINE_NODE_TOPOLOGY = "chain: regtest\ngenerator: { model: ring, size: 9, miners: 2 }\nedges:\n  - { from: n5, to: n1 }\n";

/**
 * Three fake Docker hosts of scripts/swarm/hosts.sh kept under `dir`: the script bound to that directory, and the
 * hosts as a stack's `hosts` setting names them (h1..h3 at 10.78.0.11..13, each on its own socket).
 */
export function fakeHosts(dir: string): { script: (...args: string[]) => Promise<string>; hosts: { name: string; docker: string; address: string }[] } {
  const script = resolve(REPO_ROOT, "scripts/swarm/hosts.sh");
  return {
    script: async (...args) => (await run("bash", [script, ...args, "--dir", dir], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim(),
    hosts: ["h1", "h2", "h3"].map((name, i) => ({ name, docker: `unix://${resolve(dir, name, "docker.sock")}`, address: `10.78.0.${11 + i}` })),
  };
}
