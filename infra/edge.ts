import * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { EdgePlan } from "../src/plan/types.js";

/**
 * One declared connection. Deliberately a single resource (not a component around one): adding or removing
 * an edge is then exactly one resource in the stack diff, and it runs `addnode` on the live node instead of
 * touching any container.
 */
export class LabEdge extends command.local.Command {
  constructor(name: string, plan: EdgePlan, opts: pulumi.CustomResourceOptions) {
    super(name, { create: plan.create, delete: plan.delete }, opts);
  }
}
