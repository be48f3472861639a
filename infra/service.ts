import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { FilePlan, ServicePlan } from "../src/plan/types.js";
import { containerBasics, dockerLabels } from "./container.js";

export type StackSecrets = Record<NonNullable<FilePlan["secret"]>, pulumi.Output<string>>;

/** A lab service (Graphite, Grafana, exporter, viewer): its volume and container, exactly as planned. */
export class LabService extends pulumi.ComponentResource {
  readonly container: docker.Container;

  constructor(name: string, plan: ServicePlan, volumeLabels: Record<string, string>, secrets: StackSecrets, repoRoot: string, opts?: pulumi.ComponentResourceOptions) {
    super("netlab:index:LabService", name, {}, opts);
    const volume = plan.volume ? new docker.Volume(`${name}-data`, { name: plan.volume.name, labels: dockerLabels(volumeLabels) }, { parent: this, deleteBeforeReplace: true }) : undefined;
    this.container = new docker.Container(
      `${name}-container`,
      {
        ...containerBasics(plan),
        volumes: volume && plan.volume ? [{ volumeName: volume.name, containerPath: plan.volume.containerPath }] : [],
        mounts: plan.mounts.map((m) => ({ type: "bind", source: m.source, target: m.target, readOnly: m.readOnly })),
        // Files go in before the container starts; secret content stays a Pulumi secret, never env or args.
        uploads: plan.files.map((file) => ({
          file: file.path,
          content: file.secret ? secrets[file.secret] : (file.content ?? readFileSync(resolve(repoRoot, file.source!), "utf8")),
        })),
        restart: plan.restart,
        wait: plan.healthy,
        waitTimeout: 300,
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({ container: this.container.name });
  }
}
