import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { LabPlan } from "../src/plan/types.js";
import type { HostTls } from "./config.js";
import { LabEdge } from "./edge.js";
import { LabImages } from "./images.js";
import { LabNetwork } from "./network.js";
import { BitcoinNode } from "./node.js";
import { SwarmNode } from "./swarm-node.js";
import { LabService, type StackSecrets } from "./service.js";

/** A whole lab: images, network, nodes, edges, bootstrap and services, one resource per planned item. */
export class Lab extends pulumi.ComponentResource {
  readonly nodes: Record<string, BitcoinNode | SwarmNode> = {};
  readonly edges: LabEdge[] = [];

  constructor(
    name: string,
    plan: LabPlan,
    secrets: StackSecrets,
    repoRoot: string,
    hostTls?: pulumi.Output<Record<string, HostTls>>,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("netlab:index:Lab", name, {}, opts);
    // Per Docker host: its provider (none for the local engine), the images and the lab network. In swarm mode
    // every host builds its images (no registry) and the manager (the first host) the one overlay.
    const swarm = plan.swarm !== undefined;
    const hosts = new Map(
      plan.hosts.map((host, i) => {
        const suffix = i === 0 ? "" : `-${host.name}`;
        // tcp:// hosts authenticate with TLS material kept as stack secrets (netlab:hostTls.<host>.ca/cert/key).
        const material = (part: keyof HostTls) => hostTls!.apply((all) => all[host.name]?.[part] ?? "");
        const tls = host.docker?.startsWith("tcp://") && hostTls ? { caMaterial: material("ca"), certMaterial: material("cert"), keyMaterial: material("key") } : {};
        const provider = host.docker === undefined ? undefined : new docker.Provider(`${name}-host-${host.name}`, { host: host.docker, ...tls }, { parent: this });
        const options = { parent: this, ...(provider ? { providers: { docker: provider } } : {}) };
        const images = new LabImages(`${name}-images${suffix}`, plan.images.filter((image) => host.images.includes(image.name)), repoRoot, options);
        const network = swarm && i > 0 ? undefined : new LabNetwork(`${name}-net${suffix}`, plan.network, options);
        return [host.name, { provider, images, network }] as const;
      }),
    );
    const onHost = (host: string) => {
      const { provider, images, network } = hosts.get(host)!;
      return { parent: this, dependsOn: [network ?? hosts.get(plan.hosts[0]!.name)!.network!, images], ...(provider ? { providers: { docker: provider } } : {}) };
    };
    const manager = plan.hosts[0]!.name;
    // A service goes through the manager, once every host has the images its task may need.
    const onManager = () => {
      const options = onHost(manager);
      return { ...options, dependsOn: [...options.dependsOn, ...[...hosts.values()].map((h) => h.images)] };
    };
    // In swarm mode each host's Swarm node carries the label that pins the host's nodes (netlab swarm watch may
    // lend it to others on failover); services wait for the labels, or no node would be eligible.
    const swarmLabels = (plan.swarm?.nodes ?? []).map(
      (node) => new command.local.Command(`${name}-swarm-label-${node.host}`, { create: node.create, delete: node.delete }, { parent: this }),
    );
    const volumeLabels = new Map(plan.volumes.map((volume) => [volume.name, volume.labels] as const));
    for (const node of plan.nodes) {
      const labels = volumeLabels.get(node.volume.name) ?? {};
      this.nodes[node.node] = node.swarm
        ? new SwarmNode(`${name}-${node.node}`, node, labels, { ...onManager(), dependsOn: [...onManager().dependsOn, ...swarmLabels] })
        : new BitcoinNode(`${name}-${node.node}`, node, labels, onHost(node.host));
    }
    const running = (node: BitcoinNode | SwarmNode): pulumi.Resource => (node instanceof SwarmNode ? node.service : node.container);
    for (const edge of plan.edges) {
      const from = this.nodes[edge.from]!;
      const to = this.nodes[edge.to]!;
      this.edges.push(new LabEdge(`${name}-${edge.name}`, edge, { parent: this, dependsOn: [running(from), running(to)] }));
    }
    // Bootstrap after every edge, one step after the other, so the first blocks reach the whole lab.
    let previous: pulumi.Resource[] = [...this.edges, ...Object.values(this.nodes).map(running)];
    for (const step of plan.bootstrap) {
      const resource = new command.local.Command(`${name}-${step.name}`, { create: step.create }, { parent: this, dependsOn: previous });
      previous = [resource];
    }
    // The services run on the stack's first host.
    const servicesHost = onHost(plan.hosts[0]!.name);
    for (const service of plan.services) {
      new LabService(`${name}-${service.service}`, service, volumeLabels.get(service.volume?.name ?? "") ?? {}, secrets, repoRoot, {
        ...servicesHost,
        dependsOn: [...servicesHost.dependsOn, ...Object.values(this.nodes).map(running)],
      });
    }
    this.registerOutputs({});
  }
}

