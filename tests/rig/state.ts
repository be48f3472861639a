// What the rig applied per stack, like a Pulumi stack's state: the RPC credentials and every resource as it
// was last created. Kept at $NETLAB_RIG_STATE/<stack>.json or ~/.cache/bitcoin-netlab/rig/<stack>.json (0600:
// it holds the RPC password).
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { RpcCredentials } from "../../src/plan/rpcauth.js";
import type { BootstrapStep, EdgePlan, LabPlan, NetworkPlan, NodePlan, ServicePlan } from "../../src/plan/types.js";

export interface RigState {
  format: 1;
  stack: string;
  credentials: RpcCredentials;
  network: NetworkPlan | undefined;
  /** Containers as created, by node name. */
  nodes: Record<string, NodePlan>;
  /** Edges whose `create` ran, by edge name. */
  edges: Record<string, EdgePlan>;
  /** Bootstrap steps that ran, by step name. */
  bootstrap: Record<string, BootstrapStep>;
  /** Service containers as created, by service name. */
  services?: Record<string, ServicePlan>;
  /** Grafana's admin password, generated once per stack. */
  grafanaPassword?: string;
  /** The last plan applied in full. */
  plan: LabPlan | undefined;
  updatedAt: string;
}

export function defaultStateDir(): string {
  return process.env.NETLAB_RIG_STATE || join(homedir(), ".cache", "bitcoin-netlab", "rig");
}

export function statePath(stack: string, stateDir = defaultStateDir()): string {
  return join(stateDir, `${stack}.json`);
}

export function readState(stack: string, stateDir?: string): RigState | undefined {
  const file = statePath(stack, stateDir);
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, "utf8")) as RigState;
  if (state.format !== 1 || state.stack !== stack) throw new Error(`${file}: not a rig state file for stack "${stack}"`);
  return state;
}

export function emptyState(stack: string, credentials: RpcCredentials): RigState {
  return { format: 1, stack, credentials, network: undefined, nodes: {}, edges: {}, bootstrap: {}, plan: undefined, updatedAt: "" };
}

export function writeState(state: RigState, stateDir?: string): void {
  const file = statePath(state.stack, stateDir);
  mkdirSync(join(file, ".."), { recursive: true, mode: 0o700 });
  state.updatedAt = new Date().toISOString();
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

export function removeState(stack: string, stateDir?: string): void {
  rmSync(statePath(stack, stateDir), { force: true });
}
