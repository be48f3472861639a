import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { resolve } from "node:path";
import type { ImagePlan } from "../src/plan/types.js";

/** Every image the lab runs: built from images/ (after its prepare step) or pulled from a registry. */
export class LabImages extends pulumi.ComponentResource {
  readonly resources: pulumi.Resource[] = [];

  constructor(name: string, plans: ImagePlan[], repoRoot: string, opts?: pulumi.ComponentResourceOptions) {
    super("netlab:index:LabImages", name, {}, opts);
    for (const image of plans) {
      const id = `${name}-${image.name.replace(/[/:]/g, "-")}`;
      if (image.context === undefined) {
        this.resources.push(new docker.RemoteImage(id, { name: image.name, keepLocally: true }, { parent: this }));
        continue;
      }
      const prepare = image.prepare === undefined ? [] : [new command.local.Command(`${id}-prepare`, { create: image.prepare, update: image.prepare, dir: repoRoot }, { parent: this })];
      this.resources.push(
        new docker.Image(
          id,
          { imageName: image.name, build: { context: resolve(repoRoot, image.context), args: image.buildArgs }, skipPush: true },
          { parent: this, dependsOn: prepare },
        ),
      );
    }
    this.registerOutputs({});
  }
}
