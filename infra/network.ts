import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { NetworkPlan } from "../src/plan/types.js";
import { dockerLabels } from "./container.js";

/** The stack's network with its fixed subnet: a bridge per host, or in swarm mode one attachable overlay. */
export class LabNetwork extends pulumi.ComponentResource {
  readonly network: docker.Network;

  constructor(name: string, plan: NetworkPlan, opts?: pulumi.ComponentResourceOptions) {
    super("netlab:index:LabNetwork", name, {}, opts);
    this.network = new docker.Network(
      `${name}-network`,
      {
        name: plan.name,
        driver: plan.driver,
        ...(plan.attachable ? { attachable: true } : {}),
        ipamConfigs: [{ subnet: plan.subnet, gateway: plan.gateway }],
        labels: dockerLabels(plan.labels),
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({ name: this.network.name });
  }
}
