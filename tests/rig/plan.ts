// Topology file + stack → LabPlan, reusing the stack's stored RPC credentials so that a re-apply plans the
// same rpcauth line (a new one would change every container's command and replace them all).
import { loadTopology } from "../../src/topology/load.js";
import { buildPlan } from "../../src/plan/plan.js";
import { generateRpcCredentials, type RpcCredentials } from "../../src/plan/rpcauth.js";
import { stackSettings } from "../../src/plan/stack.js";
import type { LabPlan } from "../../src/plan/types.js";
import { readState } from "./state.js";

export interface PlanOptions {
  stack: string;
  subnet?: string;
  portBase?: number;
  imageOverrides?: Record<string, string>;
  metricsInterval?: number;
  stateDir?: string;
}

export function credentialsFor(stack: string, stateDir?: string): RpcCredentials {
  return readState(stack, stateDir)?.credentials ?? generateRpcCredentials();
}

export function planFromFile(file: string, options: PlanOptions): { plan: LabPlan; credentials: RpcCredentials } {
  const credentials = credentialsFor(options.stack, options.stateDir);
  const settings = stackSettings(options.stack, {
    rpcAuth: credentials.auth,
    ...(options.subnet === undefined ? {} : { subnet: options.subnet }),
    ...(options.portBase === undefined ? {} : { portBase: options.portBase }),
    ...(options.imageOverrides === undefined ? {} : { imageOverrides: options.imageOverrides }),
    ...(options.metricsInterval === undefined ? {} : { metricsInterval: options.metricsInterval }),
  });
  return { plan: buildPlan(loadTopology(file), settings), credentials };
}
