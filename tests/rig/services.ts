// The lab's service containers (Graphite, exporter, viewer, Grafana), applied like infra/'s LabService: the
// planned container, its volume, bind mounts, and files put in before it starts (secrets only there).
import type Docker from "dockerode";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isIPv4 } from "node:net";
import tar from "tar-stream";
import type { FilePlan, ServiceName, ServicePlan } from "../../src/plan/types.js";
import { docker, inspectContainer, removeContainer, removeVolume } from "./docker.js";
import { publishedPorts } from "./spec.js";

export type ServiceSecrets = Record<NonNullable<FilePlan["secret"]>, string>;

export function serviceCreateOptions(service: ServicePlan): Docker.ContainerCreateOptions {
  const { ExposedPorts, PortBindings } = publishedPorts(service.ports);
  return {
    name: service.container,
    Hostname: service.hostname,
    Image: service.image,
    ...(service.entrypoint ? { Entrypoint: service.entrypoint } : {}),
    ...(service.command.length > 0 ? { Cmd: service.command } : {}),
    Env: service.env,
    Labels: service.labels,
    ExposedPorts,
    HostConfig: {
      NetworkMode: service.network,
      PortBindings,
      Mounts: [
        ...(service.volume ? [{ Type: "volume" as const, Source: service.volume.name, Target: service.volume.containerPath }] : []),
        ...service.mounts.map((m) => ({ Type: "bind" as const, Source: m.source, Target: m.target, ReadOnly: m.readOnly })),
      ],
      RestartPolicy: { Name: service.restart },
    },
    // Swarm mode plans names, not addresses, for services on the overlay.
    NetworkingConfig: { EndpointsConfig: { [service.network]: isIPv4(service.ip) ? { IPAMConfig: { IPv4Address: service.ip } } : {} } },
  };
}

/** The planned files as a tar archive for the container's root, contents resolved like infra/ resolves them. */
export async function filesArchive(files: FilePlan[], secrets: ServiceSecrets, repoRoot: string): Promise<Buffer> {
  const pack = tar.pack();
  const directories = new Set<string>();
  for (const file of files) {
    for (let dir = dirname(file.path); dir !== "/" && !directories.has(dir); dir = dirname(dir)) directories.add(dir);
  }
  for (const dir of [...directories].sort()) pack.entry({ name: dir.slice(1), type: "directory", mode: 0o755 });
  for (const file of files) {
    const content = file.secret ? secrets[file.secret] : (file.content ?? readFileSync(resolve(repoRoot, file.source!), "utf8"));
    pack.entry({ name: file.path.slice(1), mode: 0o644 }, content);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function createService(service: ServicePlan, secrets: ServiceSecrets, repoRoot: string, endpoint?: string): Promise<void> {
  if (service.volume) await docker(endpoint).createVolume({ Name: service.volume.name, Labels: service.labels });
  const container = await docker(endpoint).createContainer(serviceCreateOptions(service));
  if (service.files.length > 0) await container.putArchive(await filesArchive(service.files, secrets, repoRoot), { path: "/" });
  await container.start();
}

export async function removeService(service: Pick<ServicePlan, "container" | "volume">, endpoint?: string): Promise<void> {
  await removeContainer(service.container, endpoint);
  if (service.volume) await removeVolume(service.volume.name, endpoint);
}

/** Services of the plan that this apply includes, with the reason any planned one is left out. */
export function selectServices(services: ServicePlan[], include: readonly ServiceName[]): ServicePlan[] {
  return services.filter((s) => include.includes(s.service));
}

export async function serviceRunning(service: ServicePlan, endpoint?: string): Promise<boolean> {
  return (await inspectContainer(service.container, endpoint))?.State.Running === true;
}
