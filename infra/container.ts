import { isIPv4 } from "node:net";
import type { Labels, NodePlan, ServicePlan } from "../src/plan/types.js";

/** @pulumi/docker takes labels as a list of {label, value}. */
export function dockerLabels(labels: Labels): { label: string; value: string }[] {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}

/** The container inputs nodes and services share: identity, image, arguments, network and ports. */
export function containerBasics(plan: NodePlan | ServicePlan) {
  return {
    name: plan.container,
    hostname: plan.hostname,
    image: plan.image,
    ...("entrypoint" in plan && plan.entrypoint ? { entrypoints: plan.entrypoint } : {}),
    command: plan.command,
    envs: plan.env,
    labels: dockerLabels(plan.labels),
    // Swarm mode plans services on the overlay by name, not address.
    networksAdvanced: [isIPv4(plan.ip) ? { name: plan.network, ipv4Address: plan.ip } : { name: plan.network }],
    ports: plan.ports.map(({ internal, external, ip, protocol }) => ({ internal, external, ip, protocol })),
  };
}

/** A node's healthcheck as @pulumi/docker takes it (containers; Swarm services have no start interval). */
export function healthcheckInputs(healthcheck: NodePlan["healthcheck"]) {
  return { tests: healthcheck.test, interval: healthcheck.interval, timeout: healthcheck.timeout, retries: healthcheck.retries, startPeriod: healthcheck.startPeriod };
}
