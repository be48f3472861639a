// Swarm mode of the rig: what infra/ gives @pulumi/docker's Service, applied through the manager's Engine API.
// The manager creates the overlay and one service per node; each task runs on a host of the Swarm, found by
// asking the manager where it runs. Commands (edges, bootstrap) are the plan's shell strings, as in plain mode.
import type Docker from "dockerode";
import type { LabPlan, NetworkPlan, NodePlan } from "../../src/plan/types.js";
import { bitcoinCliOn, docker } from "./docker.js";
import { durationNs } from "./duration.js";
import { poll } from "./util.js";

export function overlayCreateOptions(plan: NetworkPlan): Docker.NetworkCreateOptions {
  return {
    Name: plan.name,
    Driver: "overlay",
    Attachable: true,
    CheckDuplicate: true,
    IPAM: { Driver: "default", Config: [{ Subnet: plan.subnet, Gateway: plan.gateway }] },
    Labels: plan.labels,
  };
}

export function serviceSpec(node: NodePlan, volumeLabels: Record<string, string>): Docker.CreateServiceOptions {
  const swarm = node.swarm!;
  return {
    Name: swarm.service,
    Labels: node.labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: node.image,
        Args: node.command,
        Env: node.env,
        Labels: node.labels,
        Hostname: node.hostname,
        Init: node.init,
        StopSignal: node.stopSignal,
        StopGracePeriod: node.stopTimeout * 1e9,
        // Swarm creates the volume on whichever host runs the task.
        Mounts: [{ Type: "volume", Source: node.volume.name, Target: node.volume.containerPath, VolumeOptions: { Labels: volumeLabels } as Docker.MountSettings["VolumeOptions"] }],
        HealthCheck: {
          Test: node.healthcheck.test,
          Interval: durationNs(node.healthcheck.interval),
          Timeout: durationNs(node.healthcheck.timeout),
          Retries: node.healthcheck.retries,
          StartPeriod: durationNs(node.healthcheck.startPeriod),
        },
      },
      Resources: {
        Limits: {
          ...(node.cpus === undefined ? {} : { NanoCPUs: Math.round(node.cpus * 1e9) }),
          ...(node.memoryMb === undefined ? {} : { MemoryBytes: node.memoryMb * 1024 * 1024 }),
        },
      },
      RestartPolicy: { Condition: swarm.restart.condition, Delay: durationNs(swarm.restart.delay), MaxAttempts: swarm.restart.maxAttempts },
      Placement: { Constraints: swarm.constraints },
      Networks: [{ Target: node.network }],
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: {
      Mode: swarm.endpointMode,
      Ports: node.ports.map((port) => ({ Protocol: port.protocol, TargetPort: port.internal, PublishedPort: port.external, PublishMode: swarm.publishMode })),
    },
  };
}

/** The manager's engine endpoint. */
export function managerEndpoint(plan: LabPlan): string | undefined {
  return plan.hosts.find((host) => host.name === plan.swarm!.manager)!.docker;
}

export interface TaskLocation {
  node: string;
  /** Stack host the task runs on. */
  host: string;
  endpoint: string | undefined;
  container: string;
  state: string;
}

/** Where each node's current task runs (nodes without a running task are left out). */
export async function locateTasks(plan: LabPlan): Promise<Map<string, TaskLocation>> {
  const manager = docker(managerEndpoint(plan));
  const swarmNodes = (await manager.listNodes()) as { ID: string; Description: { Hostname: string } }[];
  const hostOf = new Map(swarmNodes.map((n) => [n.ID, plan.swarm!.nodes.find((s) => s.hostname === n.Description.Hostname)?.host ?? n.Description.Hostname] as const));
  const tasks = (await manager.listTasks({ filters: { label: [`netlab.stack=${plan.stack}`], "desired-state": ["running"] } })) as {
    NodeID: string;
    ServiceID: string;
    Spec: { ContainerSpec: { Labels?: Record<string, string> } };
    Status: { State: string; ContainerStatus?: { ContainerID?: string } };
  }[];
  const located = new Map<string, TaskLocation>();
  for (const task of tasks) {
    const node = task.Spec.ContainerSpec.Labels?.["netlab.node"];
    const container = task.Status.ContainerStatus?.ContainerID;
    if (node === undefined || container === undefined || task.Status.State !== "running") continue;
    const host = hostOf.get(task.NodeID) ?? task.NodeID;
    located.set(node, { node, host, endpoint: plan.hosts.find((h) => h.name === host)?.docker, container, state: task.Status.State });
  }
  return located;
}

/** Polls until every node has a running task (on its planned host, unless `anywhere`) that `ready` accepts. */
export async function waitTasks(plan: LabPlan, timeoutMs: number, ready: (task: TaskLocation) => Promise<boolean>, anywhere = false): Promise<Map<string, TaskLocation>> {
  let missing: string[] = plan.nodes.map((n) => n.node);
  return poll(
    `${plan.nodes.length} Swarm tasks running${anywhere ? "" : " on their planned hosts"} and answering RPC`,
    async () => {
      const located = await locateTasks(plan);
      const ok = await Promise.all(
        plan.nodes.map(async (node) => {
          const task = located.get(node.node);
          return task !== undefined && (anywhere || task.host === node.host) && (await ready(task).catch(() => false));
        }),
      );
      missing = plan.nodes.filter((_, i) => !ok[i]).map((n) => `${n.node}${located.get(n.node) ? `@${located.get(n.node)!.host}` : " (no task)"}`);
      return missing.length === 0 ? located : undefined;
    },
    { timeoutMs, intervalMs: 500, describe: async () => `waiting for: ${missing.join(", ")}` },
  );
}

/** Removes the stack's services (the manager then stops their tasks everywhere); undefined when the engine is no Swarm manager. */
export async function removeServices(stack: string, endpoint: string | undefined): Promise<string[] | undefined> {
  let services: Docker.Service[];
  try {
    services = await docker(endpoint).listServices({ filters: { label: [`netlab.stack=${stack}`] } });
  } catch {
    return undefined;
  }
  const names: string[] = [];
  for (const info of services as unknown as { ID: string; Spec: { Name: string } }[]) {
    await docker(endpoint).getService(info.ID).remove();
    names.push(info.Spec.Name);
  }
  return names;
}

/** Waits until no container of the service is left on any host that answers (a removed service's task stops first). */
export async function waitServiceGone(plan: LabPlan, service: string, timeoutMs = 120_000): Promise<void> {
  await poll(
    `the containers of service ${service} to go`,
    async () => {
      const left = await Promise.all(
        plan.hosts.map((host) =>
          docker(host.docker)
            .listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${service}`] } })
            .then((list) => list.length, () => 0),
        ),
      );
      return left.every((n) => n === 0) ? true : undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

/** Waits until every planned edge shows as a manual outbound connection, locating the tasks again on each round. */
export async function waitSwarmEdges(plan: LabPlan, timeoutMs: number): Promise<void> {
  let missing = plan.edges;
  await poll(
    `${plan.edges.length} edges to connect`,
    async () => {
      const tasks = await locateTasks(plan);
      const connected = await Promise.all(
        plan.nodes.map(async (node) => {
          const task = tasks.get(node.node);
          if (task === undefined) return [node.node, new Set<string>()] as const;
          const peers = await bitcoinCliOn<{ addr: string; inbound: boolean; connection_type: string }[]>(task.endpoint, task.container, "getpeerinfo").catch(() => []);
          return [node.node, new Set(peers.filter((p) => !p.inbound && p.connection_type === "manual").map((p) => p.addr))] as const;
        }),
      );
      const byNode = new Map(connected);
      missing = plan.edges.filter((edge) => !byNode.get(edge.from)?.has(edge.target));
      return missing.length === 0 ? true : undefined;
    },
    { timeoutMs, intervalMs: 500, describe: async () => `not connected: ${missing.map((edge) => edge.name).join(", ")}` },
  );
}
