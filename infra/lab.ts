import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { LabPlan } from "../src/plan/types.js";
import { LabEdge } from "./edge.js";
import { LabImages } from "./images.js";
import { LabNetwork } from "./network.js";
import { BitcoinNode } from "./node.js";
import { LabService, type StackSecrets } from "./service.js";

/** A whole lab: images, network, nodes, edges, bootstrap and services, one resource per planned item. */
export class Lab extends pulumi.ComponentResource {
  readonly nodes: Record<string, BitcoinNode> = {};
  readonly edges: LabEdge[] = [];

  constructor(name: string, plan: LabPlan, secrets: StackSecrets, repoRoot: string, opts?: pulumi.ComponentResourceOptions) {
    super("netlab:index:Lab", name, {}, opts);
    const images = new LabImages(`${name}-images`, plan.images, repoRoot, { parent: this });
    const network = new LabNetwork(`${name}-net`, plan.network, { parent: this });
    const volumeLabels = new Map(plan.volumes.map((volume) => [volume.name, volume.labels] as const));
    for (const node of plan.nodes) {
      this.nodes[node.node] = new BitcoinNode(`${name}-${node.node}`, node, volumeLabels.get(node.volume.name) ?? {}, {
        parent: this,
        dependsOn: [network, images],
      });
    }
    for (const edge of plan.edges) {
      const from = this.nodes[edge.from]!;
      const to = this.nodes[edge.to]!;
      this.edges.push(new LabEdge(`${name}-${edge.name}`, edge, { parent: this, dependsOn: [from.container, to.container] }));
    }
    // Bootstrap after every edge, one step after the other, so the first blocks reach the whole lab.
    let previous: pulumi.Resource[] = [...this.edges, ...Object.values(this.nodes).map((node) => node.container)];
    for (const step of plan.bootstrap) {
      const resource = new command.local.Command(`${name}-${step.name}`, { create: step.create }, { parent: this, dependsOn: previous });
      previous = [resource];
    }
    for (const service of plan.services) {
      new LabService(`${name}-${service.service}`, service, volumeLabels.get(service.volume?.name ?? "") ?? {}, secrets, repoRoot, {
        parent: this,
        dependsOn: [network, images, ...Object.values(this.nodes).map((node) => node.container)],
      });
    }
    this.registerOutputs({ network: network.network.name });
  }
}

