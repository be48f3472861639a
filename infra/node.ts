import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { NodePlan } from "../src/plan/types.js";
import { containerBasics, dockerLabels, healthcheckInputs } from "./container.js";

/** One Bitcoin node: its data volume and its container, exactly as planned. */
export class BitcoinNode extends pulumi.ComponentResource {
  readonly volume: docker.Volume;
  readonly container: docker.Container;

  constructor(name: string, plan: NodePlan, volumeLabels: Record<string, string>, opts?: pulumi.ComponentResourceOptions) {
    super("netlab:index:BitcoinNode", name, {}, opts);
    this.volume = new docker.Volume(`${name}-data`, { name: plan.volume.name, labels: dockerLabels(volumeLabels) }, { parent: this, deleteBeforeReplace: true });
    this.container = new docker.Container(
      `${name}-container`,
      {
        ...containerBasics(plan),
        volumes: [{ volumeName: this.volume.name, containerPath: plan.volume.containerPath }],
        healthcheck: { ...healthcheckInputs(plan.healthcheck), startInterval: plan.healthcheck.startInterval },
        restart: plan.restart,
        stopTimeout: plan.stopTimeout,
        stopSignal: plan.stopSignal,
        init: plan.init,
        destroyGraceSeconds: plan.stopTimeout,
        ...(plan.cpus === undefined ? {} : { cpus: String(plan.cpus) }),
        ...(plan.memoryMb === undefined ? {} : { memory: plan.memoryMb }),
        // Only nodes with link conditions: tc and iptables in their own network namespace.
        ...(plan.capAdd === undefined ? {} : { capabilities: { adds: plan.capAdd } }),
        // Wait for the healthcheck, so edges and bootstrap only run against a node that answers RPC.
        wait: true,
        waitTimeout: 300,
      },
      // Fixed names and addresses: the old container must go before its replacement can exist.
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({ container: this.container.name, volume: this.volume.name });
  }
}
