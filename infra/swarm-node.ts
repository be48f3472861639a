import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { NodePlan } from "../src/plan/types.js";
import { dockerLabels, healthcheckInputs } from "./container.js";

/** env "K=V" strings → the map a Swarm service's containerSpec takes. */
function envMap(env: string[]): Record<string, string> {
  return Object.fromEntries(env.map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
}

/**
 * One Bitcoin node in swarm mode: a one-replica Swarm service created through the manager, pinned by its
 * placement constraint, on the overlay, with a volume that Swarm creates on whichever host runs the task.
 */
export class SwarmNode extends pulumi.ComponentResource {
  readonly service: docker.Service;

  constructor(name: string, plan: NodePlan, volumeLabels: Record<string, string>, opts?: pulumi.ComponentResourceOptions) {
    super("netlab:index:SwarmNode", name, {}, opts);
    const swarm = plan.swarm!;
    this.service = new docker.Service(
      `${name}-service`,
      {
        name: swarm.service,
        labels: dockerLabels(plan.labels),
        taskSpec: {
          containerSpec: {
            image: plan.image,
            args: plan.command,
            env: envMap(plan.env),
            labels: dockerLabels(plan.labels),
            hostname: plan.hostname,
            init: plan.init,
            stopSignal: plan.stopSignal,
            stopGracePeriod: `${plan.stopTimeout}s`,
            mounts: [{ type: "volume", source: plan.volume.name, target: plan.volume.containerPath, volumeOptions: { labels: dockerLabels(volumeLabels) } }],
            healthcheck: healthcheckInputs(plan.healthcheck),
          },
          ...(plan.cpus === undefined && plan.memoryMb === undefined
            ? {}
            : {
                resources: {
                  limits: {
                    ...(plan.cpus === undefined ? {} : { nanoCpus: Math.round(plan.cpus * 1e9) }),
                    ...(plan.memoryMb === undefined ? {} : { memoryBytes: plan.memoryMb * 1024 * 1024 }),
                  },
                },
              }),
          placement: { constraints: swarm.constraints },
          restartPolicy: swarm.restart,
          networksAdvanceds: [{ name: plan.network }],
        },
        mode: { replicated: { replicas: 1 } },
        endpointSpec: {
          mode: swarm.endpointMode,
          ports: plan.ports.map((port) => ({ protocol: port.protocol, targetPort: port.internal, publishedPort: port.external, publishMode: swarm.publishMode })),
        },
        // Wait until the task runs (healthy), so edges and bootstrap only run against a node that answers RPC.
        convergeConfig: { delay: "1s", timeout: "5m" },
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({ service: this.service.name });
  }
}
