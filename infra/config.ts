// The one place that reads Pulumi config. Returns plain settings for the planner plus the secret password.
import * as pulumi from "@pulumi/pulumi";
import type { HostSpec } from "../src/plan/hosts.js";
import { stackSettings, type StackSettings } from "../src/plan/stack.js";

/** Topology each default stack deploys unless `netlab:topology` says otherwise. */
export const DEFAULT_TOPOLOGIES: Record<string, string> = {
  dev: "topologies/dev.yaml",
  regtest: "topologies/regtest-10.yaml",
  testnet: "topologies/testnet.yaml",
  mainnet: "topologies/mainnet.yaml",
};

export interface LabConfig {
  stack: string;
  topologyFile: string;
  settings: StackSettings;
  rpcUser: string;
  /** Secret; `npm run stack -- init` writes it together with its rpcauth line. */
  rpcPassword: pulumi.Output<string>;
  /** Secret: Grafana's admin password (only needed when monitoring is on). */
  grafanaPassword: pulumi.Output<string>;
  /** Secret: TLS material for tcp:// hosts, by host name (netlab:hostTls). */
  hostTls: pulumi.Output<Record<string, HostTls>> | undefined;
}

export interface HostTls {
  ca: string;
  cert: string;
  key: string;
}

export function readConfig(): LabConfig {
  const config = new pulumi.Config("netlab");
  const stack = pulumi.getStack();
  const topologyFile = config.get("topology") ?? DEFAULT_TOPOLOGIES[stack];
  if (topologyFile === undefined) throw new Error(`stack "${stack}": set netlab:topology to a topology file (pulumi config set netlab:topology topologies/...)`);
  const rpcAuth = config.get("rpcAuth");
  if (rpcAuth === undefined)
    throw new Error(`stack "${stack}" has no RPC credentials yet: run \`npm run stack -- init ${stack}\`, which generates them (netlab:rpcAuth and the secrets netlab:rpcPassword and netlab:grafanaPassword)`);
  const imageOverrides = config.getObject<Record<string, string>>("imageOverrides");
  const monitoring = config.getBoolean("monitoring");
  const metricsInterval = config.getNumber("metricsInterval");
  const hosts = config.getObject<HostSpec[]>("hosts");
  const mode = config.get("mode") as StackSettings["mode"];
  const settings = stackSettings(stack, {
    rpcAuth,
    subnet: config.get("subnet"),
    portBase: config.getNumber("portBase"),
    ...(imageOverrides === undefined ? {} : { imageOverrides }),
    ...(monitoring === undefined ? {} : { monitoring }),
    ...(metricsInterval === undefined ? {} : { metricsInterval }),
    ...(hosts === undefined ? {} : { hosts }),
    ...(mode === undefined ? {} : { mode }),
  });
  const rpcUser = rpcAuth.split(":")[0]!;
  const rpcPassword = config.requireSecret("rpcPassword");
  const grafanaPassword = settings.monitoring === false ? pulumi.secret("") : config.requireSecret("grafanaPassword");
  const hostTls = config.getSecretObject<Record<string, HostTls>>("hostTls");
  return { stack, topologyFile, settings, rpcUser, rpcPassword, grafanaPassword, hostTls };
}
