// The plan's edge and bootstrap commands, run once each (as Pulumi runs a Command resource on create) and
// recorded in the rig's state; shared by the container and the swarm apply.
import type { LabPlan } from "../../src/plan/types.js";
import type { UpReport } from "./apply.js";
import { runShell } from "./shell.js";
import type { RigState } from "./state.js";
import { mapLimit, sameSpec, seconds, type Logger } from "./util.js";

interface Applying {
  plan: LabPlan;
  state: RigState;
  report: UpReport;
  save: () => void;
  log: Logger;
  limit: number;
}

/** `create` of every new or changed edge, `limit` at a time. */
export async function createEdges({ plan, state, report, save, log, limit }: Applying): Promise<void> {
  const started = Date.now();
  const newEdges = plan.edges.filter((edge) => !sameSpec(state.edges[edge.name], edge));
  await mapLimit(newEdges, limit, async (edge) => {
    await runShell(`create edge ${edge.name}`, edge.create);
    state.edges[edge.name] = edge;
    report.edgesCreated.push(edge.name);
  });
  save();
  report.timings.edges = Date.now() - started;
  if (newEdges.length > 0) log(`${newEdges.length} edge(s) created in ${seconds(report.timings.edges)}`);
}

/** Bootstrap steps not run yet, in order (they are idempotent anyway). */
export async function runBootstrap({ plan, state, report, save, log }: Applying): Promise<void> {
  const started = Date.now();
  for (const step of plan.bootstrap) {
    if (sameSpec(state.bootstrap[step.name], step)) continue;
    await runShell(`bootstrap step ${step.name}`, step.create);
    state.bootstrap[step.name] = step;
    report.bootstrapRun.push(step.name);
    save();
  }
  report.timings.bootstrap = Date.now() - started;
  if (report.bootstrapRun.length > 0) log(`bootstrap (${report.bootstrapRun.join(", ")}) in ${seconds(report.timings.bootstrap)}`);
}
