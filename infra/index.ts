// The Pulumi program: read the stack's config, plan the lab (pure), and map the plan onto Docker resources.
import * as pulumi from "@pulumi/pulumi";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { localNeighbourWarnings } from "../src/lab/neighbours.js";
import { labOutputs } from "../src/plan/outputs.js";
import { buildPlan } from "../src/plan/plan.js";
import { loadTopology } from "../src/topology/load.js";
import { readConfig } from "./config.js";
import { Lab } from "./lab.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const config = readConfig();
const plan = buildPlan(loadTopology(resolve(repoRoot, config.topologyFile)), config.settings);
for (const warning of localNeighbourWarnings(plan)) void pulumi.log.warn(warning);
new Lab(config.stack, plan, { rpcPassword: config.rpcPassword, grafanaPassword: config.grafanaPassword }, repoRoot, config.hostTls);

const outputs = labOutputs(plan);
export const stack = outputs.stack;
export const topology = outputs.topology;
export const chain = outputs.chain;
export const network = outputs.network;
export const nodes = outputs.nodes;
export const edges = outputs.edges;
export const rpc = { user: config.rpcUser, password: pulumi.secret(config.rpcPassword) };
const serviceUrl = (name: string) => plan.services.find((s) => s.service === name)?.url;
export const grafanaUrl = serviceUrl("grafana");
export const graphiteUrl = serviceUrl("graphite");
export const viewerUrl = serviceUrl("viewer");
export const grafana = plan.services.length > 0 ? { user: "admin", password: pulumi.secret(config.grafanaPassword) } : undefined;
