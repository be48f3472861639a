// `up` for a plan in swarm mode: label the Swarm nodes, create the overlay and one service per node on the
// manager, wait for every task on its planned host to answer RPC, then run the plan's edge and bootstrap
// commands, wait for the edges, and start the chosen services as containers on the manager's overlay.
// Re-applying replaces only services whose spec changed, removes those of removed nodes and deletes stale edges.
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import type { LabPlan } from "../../src/plan/types.js";
import type { UpOptions, UpReport } from "./apply.js";
import { bitcoinCliOn, docker, inspectNetwork } from "./docker.js";
import { createService, removeService, selectServices, serviceRunning } from "./services.js";
import { createEdges, runBootstrap } from "./commands.js";
import { runShell } from "./shell.js";
import { emptyState, readState, writeState } from "./state.js";
import { managerEndpoint, overlayCreateOptions, serviceSpec, waitServiceGone, waitSwarmEdges, waitTasks, type TaskLocation } from "./swarm.js";
import { mapLimit, sameSpec, seconds, stderrLogger } from "./util.js";
import { waitHealthy } from "./wait.js";

const REPO_ROOT = resolve(import.meta.dirname, "../..");

/** Containers and engines of the nodes' current tasks, for the rig's edge checks. */
export function taskMaps(tasks: Map<string, TaskLocation>): { containers: Map<string, string>; endpoints: Map<string, string | undefined> } {
  return {
    containers: new Map([...tasks].map(([node, task]) => [node, task.container] as const)),
    endpoints: new Map([...tasks].map(([node, task]) => [node, task.endpoint] as const)),
  };
}

export async function upSwarm(plan: LabPlan, options: UpOptions): Promise<UpReport> {
  const log = options.log ?? stderrLogger;
  const limit = options.concurrency ?? 6;
  const started = Date.now();
  const manager = managerEndpoint(plan);
  const engine = docker(manager);
  const state = readState(plan.stack, options.stateDir) ?? emptyState(plan.stack, options.credentials);
  state.credentials = options.credentials;
  const save = () => writeState(state, options.stateDir);
  // Written before anything exists, so `down` knows every host even if this run fails half-way.
  state.plan = plan;
  save();
  const report: UpReport = {
    created: [], replaced: [], started: [], unchanged: [], removed: [], edgesCreated: [], edgesDeleted: [], bootstrapRun: [],
    services: { created: [], unchanged: [], removed: [] },
    timings: { containers: 0, healthy: 0, edges: 0, bootstrap: 0, connected: 0, services: 0, total: 0 },
  };

  // Edges that are gone or changed: their old `delete` (it finds the task wherever it runs).
  const plannedEdges = new Map(plan.edges.map((edge) => [edge.name, edge] as const));
  for (const edge of Object.values(state.edges).filter((edge) => !sameSpec(plannedEdges.get(edge.name), edge))) {
    await runShell(`delete edge ${edge.name}`, edge.delete).catch((error: Error) => log(`edge ${edge.name}: ${error.message}`));
    delete state.edges[edge.name];
    report.edgesDeleted.push(edge.name);
  }
  // Nodes that are gone: their service. Their volumes stay on whichever host ran them until `down`.
  const listed = (await engine.listServices({ filters: { label: [`netlab.stack=${plan.stack}`] } })) as unknown as { ID: string; Spec: { Name: string } }[];
  const existing = new Map(listed.map((s) => [s.Spec.Name, s.ID] as const));
  for (const gone of Object.values(state.nodes).filter((node) => !plan.nodes.some((n) => n.node === node.node))) {
    const id = existing.get(gone.swarm?.service ?? gone.container);
    if (id !== undefined) await engine.getService(id).remove();
    delete state.nodes[gone.node];
    report.removed.push(gone.node);
  }
  save();

  // The labels that pin each host's nodes, exactly as the plan's commands put them.
  for (const node of plan.swarm!.nodes) await runShell(`label Swarm node ${node.hostname}`, node.create);
  if ((await inspectNetwork(plan.network.name, manager)) === undefined) {
    await engine.createNetwork(overlayCreateOptions(plan.network));
    log(`overlay ${plan.network.name} created (${plan.network.subnet})`);
  }
  state.network = plan.network;

  const servicesStarted = Date.now();
  const volumeLabels = new Map(plan.volumes.map((v) => [v.name, v.labels] as const));
  await mapLimit(plan.nodes, limit, async (node) => {
    const id = existing.get(node.swarm!.service);
    if (id !== undefined && sameSpec(state.nodes[node.node], node)) return void report.unchanged.push(node.node);
    if (id !== undefined) {
      // The old task must stop before a new one opens the same volume.
      await engine.getService(id).remove();
      await waitServiceGone(plan, node.swarm!.service);
    }
    await engine.createService(serviceSpec(node, volumeLabels.get(node.volume.name) ?? {}));
    state.nodes[node.node] = node;
    (id === undefined ? report.created : report.replaced).push(node.node);
  });
  save();
  report.timings.containers = Date.now() - servicesStarted;
  log(`${plan.nodes.length} services: ${report.created.length} created, ${report.replaced.length} replaced, ${report.unchanged.length} unchanged (${seconds(report.timings.containers)})`);

  const healthStarted = Date.now();
  await waitTasks(plan, options.healthTimeoutMs ?? 180_000, async (task) => {
    await bitcoinCliOn(task.endpoint, task.container, "getblockchaininfo");
    return true;
  });
  report.timings.healthy = Date.now() - healthStarted;
  log(`${plan.nodes.length} tasks on their planned hosts answer RPC after ${seconds(report.timings.healthy)}`);

  const applying = { plan, state, report, save, log, limit };
  await createEdges(applying);
  await runBootstrap(applying);

  const connectStarted = Date.now();
  await waitSwarmEdges(plan, options.edgeTimeoutMs ?? 150_000);
  report.timings.connected = Date.now() - connectStarted;

  const labServicesStarted = Date.now();
  const services = selectServices(plan.services, options.services ?? []);
  const applied = (state.services ??= {});
  state.grafanaPassword ??= options.grafanaPassword ?? randomBytes(18).toString("base64url");
  const secrets = { rpcPassword: options.credentials.password, grafanaPassword: options.grafanaPassword ?? state.grafanaPassword };
  await mapLimit(services, limit, async (service) => {
    if (sameSpec(applied[service.service], service) && (await serviceRunning(service, manager))) return void report.services.unchanged.push(service.service);
    await removeService(service, manager);
    await createService(service, secrets, REPO_ROOT, manager);
    applied[service.service] = service;
    report.services.created.push(service.service);
  });
  save();
  await waitHealthy(services.filter((s) => s.healthy).map((s) => ({ node: s.service, container: s.container, endpoint: manager })), options.healthTimeoutMs ?? 180_000, new Set(report.services.created));
  report.timings.services = Date.now() - labServicesStarted;

  report.timings.total = Date.now() - started;
  log(`${plan.edges.length} edges connected after ${seconds(report.timings.connected)}; swarm lab up in ${seconds(report.timings.total)}`);
  return report;
}
