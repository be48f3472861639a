// `up`: applies a LabPlan to the local engine the way a Pulumi update applies the same plan through infra/:
// only what changed is touched. Unchanged containers keep running, added edges run their `create`, removed
// edges their old `delete`, removed nodes lose their container and volume.
import type { RpcCredentials } from "../../src/plan/rpcauth.js";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { localNeighbourWarnings } from "../../src/lab/neighbours.js";
import type { LabPlan, NodePlan, ServiceName } from "../../src/plan/types.js";
import { bitcoinCliOn, docker, inspectContainer, inspectNetwork, removeContainer, removeNetwork, removeVolume } from "./docker.js";
import { upSwarm } from "./apply-swarm.js";
import { createService, removeService, selectServices, serviceRunning } from "./services.js";
import { rpcClient } from "./rpc.js";
import { createEdges, runBootstrap } from "./commands.js";
import { runShell } from "./shell.js";
import { containerCreateOptions, networkCreateOptions, networkMatches } from "./spec.js";
import { emptyState, readState, writeState, type RigState } from "./state.js";
import { mapLimit, sameSpec, seconds, stderrLogger, type Logger } from "./util.js";
import { waitEdgesConnected, waitHealthy } from "./wait.js";

export interface UpOptions {
  /** The stack's RPC credentials; the plan's rpcauth line must be theirs. */
  credentials: RpcCredentials;
  stateDir?: string;
  /** How long containers may take to turn healthy (default 180 s). */
  healthTimeoutMs?: number;
  /** How long declared edges may take to connect (default 150 s: bitcoind retries an added node every 60 s). */
  edgeTimeoutMs?: number;
  /** Engine calls and shell commands in flight at once (default 6). */
  concurrency?: number;
  /** Which planned services to run (default none: most tests need only the nodes; Grafana cannot be pulled here). */
  services?: readonly ServiceName[];
  /** Grafana's admin password when Grafana is among the services (default: generated once per stack). */
  grafanaPassword?: string;
  log?: Logger;
}

export interface UpReport {
  created: string[];
  replaced: string[];
  started: string[];
  unchanged: string[];
  removed: string[];
  services: { created: string[]; unchanged: string[]; removed: string[] };
  edgesCreated: string[];
  edgesDeleted: string[];
  bootstrapRun: string[];
  /** Milliseconds per phase, and in total. */
  timings: { containers: number; healthy: number; edges: number; bootstrap: number; connected: number; services: number; total: number };
}

const REPO_ROOT = resolve(import.meta.dirname, "../..");

export class RigApplyError extends Error {
  override name = "RigApplyError";
}

function checkCredentials(plan: LabPlan, credentials: RpcCredentials): void {
  const expected = `-rpcauth=${credentials.auth}`;
  const other = plan.nodes.find((node) => !node.command.includes(expected));
  if (other !== undefined) throw new RigApplyError(`node ${other.node} of the plan does not use the given credentials' rpcauth line`);
  if (plan.rpcUser !== credentials.user) throw new RigApplyError(`plan RPC user "${plan.rpcUser}" is not the credentials' user "${credentials.user}"`);
}

async function createNode(node: NodePlan, endpoint: string | undefined): Promise<void> {
  const container = await docker(endpoint).createContainer(containerCreateOptions(node));
  await container.start();
}

/** The Docker endpoint of each of the plan's hosts (undefined: the local engine). */
function endpoints(plan: LabPlan): (host: string | undefined) => string | undefined {
  const byName = new Map(plan.hosts.map((host) => [host.name, host.docker] as const));
  return (host) => (host === undefined ? undefined : byName.get(host));
}

export async function up(plan: LabPlan, options: UpOptions): Promise<UpReport> {
  checkCredentials(plan, options.credentials);
  for (const warning of localNeighbourWarnings(plan)) (options.log ?? stderrLogger)(`warning: ${warning}`);
  if (plan.swarm !== undefined) return upSwarm(plan, options);
  const log = options.log ?? stderrLogger;
  const limit = options.concurrency ?? 6;
  const stateDir = options.stateDir;

  const started = Date.now();
  const services = selectServices(plan.services, options.services ?? []);
  // The services run on the first host, as infra/ places them.
  const servicesEndpoint = plan.hosts[0]?.docker;
  const leftOut = plan.services.filter((s) => !services.includes(s)).map((s) => s.service);
  if (leftOut.length > 0) log(`services left out: ${leftOut.join(", ")}`);
  const previous = readState(plan.stack, stateDir);
  const state: RigState = previous ?? emptyState(plan.stack, options.credentials);
  state.credentials = options.credentials;
  const save = () => writeState(state, stateDir);
  save();

  const report: UpReport = {
    created: [], replaced: [], started: [], unchanged: [], removed: [], edgesCreated: [], edgesDeleted: [], bootstrapRun: [],
    services: { created: [], unchanged: [], removed: [] },
    timings: { containers: 0, healthy: 0, edges: 0, bootstrap: 0, connected: 0, services: 0, total: 0 },
  };
  const endpointOf = endpoints(plan);
  const hostEndpoints = plan.hosts.map((host) => host.docker);
  const planned = new Map(plan.nodes.map((node) => [node.node, node] as const));
  const plannedEdges = new Map(plan.edges.map((edge) => [edge.name, edge] as const));

  // 1. Edges that are gone or changed: their old `delete`, while both containers still exist.
  const staleEdges = Object.values(state.edges).filter((edge) => !sameSpec(plannedEdges.get(edge.name), edge));
  await mapLimit(staleEdges, limit, async (edge) => {
    const from = state.nodes[edge.from];
    if (from === undefined || (await inspectContainer(from.container, endpointOf(from.host)))?.State.Running !== true) {
      log(`edge ${edge.name}: its node ${edge.from} is not running; nothing to disconnect`);
    } else {
      await runShell(`delete edge ${edge.name}`, edge.delete);
    }
    delete state.edges[edge.name];
    report.edgesDeleted.push(edge.name);
  });
  if (staleEdges.length > 0) {
    save();
    log(`${staleEdges.length} edge(s) deleted: ${report.edgesDeleted.join(", ")}`);
  }

  // 2. Nodes that are gone: container and volume. Containers labelled with this stack but unknown to the plan
  //    and the state (left by an earlier, interrupted run) go too, since they hold planned names and addresses.
  const labelled = (
    await Promise.all(
      hostEndpoints.map(async (endpoint) =>
        (await docker(endpoint).listContainers({ all: true, filters: { label: [`netlab.stack=${plan.stack}`] } })).map((info) => ({ name: info.Names[0]?.replace(/^\//, "") ?? "", endpoint })),
      ),
    )
  ).flat();
  const strays = labelled.filter(
    ({ name }) =>
      name !== "" &&
      !plan.nodes.some((node) => node.container === name) &&
      !services.some((service) => service.container === name) &&
      !Object.values(state.nodes).some((node) => node.container === name),
  );
  const goneNodes = Object.values(state.nodes).filter((node) => !planned.has(node.node));
  await mapLimit([...goneNodes.map((node) => ({ name: node.container, endpoint: endpointOf(node.host) })), ...strays], limit, ({ name, endpoint }) => removeContainer(name, endpoint));
  await mapLimit(goneNodes, limit, async (node) => {
    await removeVolume(node.volume.name, endpointOf(node.host));
    delete state.nodes[node.node];
    report.removed.push(node.node);
  });
  if (goneNodes.length + strays.length > 0) {
    save();
    log(`removed ${[...report.removed, ...strays.map((stray) => stray.name)].join(", ")}`);
  }

  // 3. The network on every host, and the nodes' volumes on their hosts.
  const containersStarted = Date.now();
  let networkReplaced = false;
  const stateNetworkChanged = state.network !== undefined && !sameSpec(state.network, plan.network);
  for (const endpoint of hostEndpoints) {
    const network = await inspectNetwork(plan.network.name, endpoint);
    const networkChanged = network !== undefined && (!networkMatches(network, plan.network) || stateNetworkChanged);
    if (network !== undefined && !networkChanged) continue;
    if (networkChanged) {
      // A changed network takes its containers with it.
      await mapLimit(Object.keys(network.Containers ?? {}), limit, (id) => removeContainer(id, endpoint));
      await removeNetwork(plan.network.name, endpoint);
      networkReplaced = true;
    }
    await docker(endpoint).createNetwork(networkCreateOptions(plan.network));
    log(`network ${plan.network.name} ${networkChanged ? "replaced" : "created"} (${plan.network.subnet})${endpoint ? ` on ${endpoint}` : ""}`);
  }
  state.network = plan.network;
  save();
  await mapLimit(plan.nodes, limit, (node) => docker(endpointOf(node.host)).createVolume({ Name: node.volume.name, Labels: plan.volumes.find((v) => v.name === node.volume.name)?.labels ?? {} }));

  // 4. Containers: unchanged ones are left alone (started if stopped), changed or missing ones (re)created.
  await mapLimit(plan.nodes, limit, async (node) => {
    const endpoint = endpointOf(node.host);
    const info = await inspectContainer(node.container, endpoint);
    const applied = state.nodes[node.node];
    if (info !== undefined && applied !== undefined && sameSpec(applied, node) && !networkReplaced) {
      if (info.State.Running) report.unchanged.push(node.node);
      else {
        await docker(endpoint).getContainer(node.container).start();
        report.started.push(node.node);
      }
      return;
    }
    if (info !== undefined) await removeContainer(node.container, endpoint);
    await createNode(node, endpoint);
    state.nodes[node.node] = node;
    (info !== undefined || applied !== undefined ? report.replaced : report.created).push(node.node);
  });
  save();
  report.timings.containers = Date.now() - containersStarted;
  const changed = [...report.created, ...report.replaced, ...report.started];
  if (changed.length > 0)
    log(
      `${plan.nodes.length} containers: ${report.created.length} created, ${report.replaced.length} replaced, ` +
        `${report.started.length} started, ${report.unchanged.length} unchanged (${seconds(report.timings.containers)})`,
    );

  const healthStarted = Date.now();
  // Ready = answers RPC as the healthcheck asks it (getblockchaininfo), polled every 0.5 s.
  // On other engines the published port is that host's: ask through docker exec there.
  const rpcOf = new Map(plan.nodes.filter((node) => endpointOf(node.host) === undefined).map((node) => [node.node, rpcClient(node.rpcHostAddress, options.credentials)] as const));
  const waited = plan.nodes.map((node) => ({ node: node.node, container: node.container, endpoint: endpointOf(node.host) }));
  await waitHealthy(waited, options.healthTimeoutMs ?? 180_000, new Set([...report.created, ...report.replaced]), async (node) => {
    if (node.endpoint === undefined) await rpcOf.get(node.node)!.call("getblockchaininfo");
    else await bitcoinCliOn(node.endpoint, node.container, "getblockchaininfo");
    return true;
  });
  report.timings.healthy = Date.now() - healthStarted;
  log(`${plan.nodes.length} nodes answer RPC after ${seconds(report.timings.healthy)}`);

  // 5. Edges: `create` for new and changed ones, exactly as planned. 6. Bootstrap steps, in order, once each.
  const applying = { plan, state, report, save, log, limit };
  await createEdges(applying);
  await runBootstrap(applying);

  // 7. Every declared edge connected.
  const connectStarted = Date.now();
  const containers = new Map(plan.nodes.map((node) => [node.node, node.container] as const));
  await waitEdgesConnected(plan.edges, containers, options.edgeTimeoutMs ?? 150_000, new Map(plan.nodes.map((node) => [node.node, endpointOf(node.host)] as const)));
  report.timings.connected = Date.now() - connectStarted;

  // 8. Services: unchanged running ones are left alone; others (re)created; ones no longer wanted removed.
  const servicesStarted = Date.now();
  const appliedServices = (state.services ??= {});
  state.grafanaPassword ??= options.grafanaPassword ?? randomBytes(18).toString("base64url");
  const secrets = { rpcPassword: options.credentials.password, grafanaPassword: options.grafanaPassword ?? state.grafanaPassword };
  for (const applied of Object.values(appliedServices).filter((s) => !services.some((wanted) => wanted.service === s.service))) {
    await removeService(applied, servicesEndpoint);
    delete appliedServices[applied.service];
    report.services.removed.push(applied.service);
  }
  await mapLimit(services, limit, async (service) => {
    if (sameSpec(appliedServices[service.service], service) && (await serviceRunning(service, servicesEndpoint))) {
      report.services.unchanged.push(service.service);
      return;
    }
    await removeService(service, servicesEndpoint);
    await createService(service, secrets, REPO_ROOT, servicesEndpoint);
    appliedServices[service.service] = service;
    report.services.created.push(service.service);
  });
  save();
  await waitHealthy(
    services.filter((s) => s.healthy).map((s) => ({ node: s.service, container: s.container, endpoint: servicesEndpoint })),
    options.healthTimeoutMs ?? 180_000,
    new Set(report.services.created),
  );
  report.timings.services = Date.now() - servicesStarted;
  if (services.length + report.services.removed.length > 0)
    log(`services: ${report.services.created.length} created, ${report.services.unchanged.length} unchanged, ${report.services.removed.length} removed (${seconds(report.timings.services)})`);
  report.timings.total = Date.now() - started;
  log(`${plan.edges.length} edges connected after ${seconds(report.timings.connected)}; up in ${seconds(report.timings.total)}`);

  state.plan = plan;
  save();
  return report;
}
