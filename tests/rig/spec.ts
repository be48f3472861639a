// LabPlan items → Engine API create options, field for field (what infra/ gives @pulumi/docker).
import type Docker from "dockerode";
import type { NetworkPlan, NodePlan } from "../../src/plan/types.js";
import { durationNs } from "./duration.js";

export function networkCreateOptions(plan: NetworkPlan): Docker.NetworkCreateOptions {
  return {
    Name: plan.name,
    Driver: plan.driver,
    CheckDuplicate: true,
    IPAM: { Driver: "default", Config: [{ Subnet: plan.subnet, Gateway: plan.gateway }] },
    Labels: plan.labels,
  };
}

/** True when an existing network is the planned one (same subnet and gateway). */
export function networkMatches(info: Docker.NetworkInspectInfo, plan: NetworkPlan): boolean {
  const config = info.IPAM?.Config ?? [];
  return info.Driver === plan.driver && config.length === 1 && config[0]?.Subnet === plan.subnet && config[0]?.Gateway === plan.gateway;
}

type Port = { internal: number; external: number; ip: string; protocol: string };

/** Planned ports → the Engine API's ExposedPorts and PortBindings. */
export function publishedPorts(ports: Port[]): { ExposedPorts: Record<string, object>; PortBindings: Record<string, { HostIp: string; HostPort: string }[]> } {
  const key = (port: Port) => `${port.internal}/${port.protocol}`;
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of ports) (bindings[key(port)] ??= []).push({ HostIp: port.ip, HostPort: String(port.external) });
  return { ExposedPorts: Object.fromEntries(ports.map((port) => [key(port), {}])), PortBindings: bindings };
}

export function containerCreateOptions(node: NodePlan): Docker.ContainerCreateOptions {
  const { ExposedPorts, PortBindings } = publishedPorts(node.ports);

  const options: Docker.ContainerCreateOptions = {
    name: node.container,
    Hostname: node.hostname,
    Image: node.image,
    Cmd: node.command,
    Env: node.env,
    Labels: node.labels,
    ExposedPorts,
    Healthcheck: {
      Test: node.healthcheck.test,
      Interval: durationNs(node.healthcheck.interval),
      Timeout: durationNs(node.healthcheck.timeout),
      Retries: node.healthcheck.retries,
      StartPeriod: durationNs(node.healthcheck.startPeriod),
      // Engine API 1.44+; older engines (20.10 here) ignore it and check every Interval from the start.
      StartInterval: durationNs(node.healthcheck.startInterval),
    },
    StopSignal: node.stopSignal,
    StopTimeout: node.stopTimeout,
    HostConfig: {
      NetworkMode: node.network,
      PortBindings,
      Mounts: [{ Type: "volume", Source: node.volume.name, Target: node.volume.containerPath }],
      RestartPolicy: { Name: node.restart },
      Init: node.init,
      ...(node.cpus === undefined ? {} : { NanoCpus: Math.round(node.cpus * 1e9) }),
      ...(node.memoryMb === undefined ? {} : { Memory: node.memoryMb * 1024 * 1024 }),
      ...(node.capAdd === undefined ? {} : { CapAdd: node.capAdd }),
    },
    NetworkingConfig: {
      EndpointsConfig: { [node.network]: { IPAMConfig: { IPv4Address: node.ip } } },
    },
  };
  return options;
}
