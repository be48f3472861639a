// The rig's pure parts: what it asks the engine for must be exactly the plan (as infra/ gives it to Pulumi).
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { buildPlan } from "../../src/plan/plan.js";
import { rpcAuthLine } from "../../src/plan/rpcauth.js";
import { stackSettings } from "../../src/plan/stack.js";
import { loadTopology } from "../../src/topology/load.js";
import { durationNs } from "./duration.js";
import { rpcClient } from "./rpc.js";
import { containerCreateOptions, networkCreateOptions } from "./spec.js";
import { overlayCreateOptions, serviceSpec } from "./swarm.js";
import { sameSpec, stableJson } from "./util.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const plan = buildPlan(
  loadTopology(resolve(repoRoot, "topologies/regtest-10.yaml")),
  stackSettings("t-rig", { rpcAuth: rpcAuthLine("netlab", "secret", "00ff"), subnet: "10.77.59.0/24", portBase: 25900 }),
);

describe("the rig's engine requests", () => {
  it("reads Go durations into nanoseconds", () => {
    expect(durationNs("10s")).toBe(10e9);
    expect(durationNs("1m30s")).toBe(90e9);
    expect(durationNs("500ms")).toBe(5e8);
    expect(() => durationNs("10")).toThrow(/not a duration/);
    expect(() => durationNs("10s junk")).toThrow(/not a duration/);
  });

  it("creates each container with exactly the planned fields", () => {
    const node = plan.nodes.find((candidate) => candidate.node === "relay5")!;
    const options = containerCreateOptions(node);
    expect(options).toMatchObject({
      name: "t-rig-relay5",
      Hostname: node.hostname,
      Image: node.image,
      Cmd: node.command,
      Env: node.env,
      Labels: node.labels,
      StopSignal: "SIGTERM",
      StopTimeout: 60,
      Healthcheck: { Test: node.healthcheck.test, Interval: 10e9, Timeout: 10e9, Retries: 3, StartPeriod: 120e9, StartInterval: 1e9 },
      HostConfig: {
        NetworkMode: "t-rig-net",
        PortBindings: { "18443/tcp": [{ HostIp: "127.0.0.1", HostPort: "25906" }] },
        Mounts: [{ Type: "volume", Source: "t-rig-relay5-data", Target: "/home/bitcoin/.bitcoin" }],
        RestartPolicy: { Name: "unless-stopped" },
        Memory: 256 * 1024 * 1024,
      },
      NetworkingConfig: { EndpointsConfig: { "t-rig-net": { IPAMConfig: { IPv4Address: "10.77.59.16" } } } },
    });
    expect(options.HostConfig).not.toHaveProperty("NanoCpus");
    expect(networkCreateOptions(plan.network)).toMatchObject({
      Name: "t-rig-net",
      Driver: "bridge",
      IPAM: { Config: [{ Subnet: "10.77.59.0/24", Gateway: "10.77.59.1" }] },
      Labels: { "netlab.stack": "t-rig" },
    });
  });

  it("compares specs whatever their key order", () => {
    expect(stableJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } })).toBe('{"a":{"c":[3,{"e":2,"f":1}],"d":2},"b":1}');
    expect(sameSpec(plan.nodes[0], JSON.parse(JSON.stringify(plan.nodes[0])))).toBe(true);
    expect(sameSpec(plan.nodes[0], { ...plan.nodes[0], command: [] })).toBe(false);
  });

  it("talks RPC only to 127.0.0.0/8 or the lab's own network", () => {
    const credentials = { user: "netlab", password: "x" };
    expect(() => rpcClient("127.0.0.1:25900", credentials)).not.toThrow();
    expect(() => rpcClient("10.77.59.10:18443", credentials, undefined, "10.77.59.0/24")).not.toThrow();
    expect(() => rpcClient("10.77.59.10:18443", credentials)).toThrow(/refusing/);
    expect(() => rpcClient("192.0.2.1:8332", credentials, undefined, "10.77.59.0/24")).toThrow(/refusing/);
  });
});

describe("the rig's Swarm requests", () => {
  const hosts = [
    { name: "h1", address: "10.78.0.11" },
    { name: "h2", docker: "unix:///tmp/h2.sock", address: "10.78.0.12" },
  ];
  const swarm = buildPlan(
    loadTopology(resolve(repoRoot, "topologies/dev.yaml")),
    stackSettings("t-rig", { rpcAuth: rpcAuthLine("netlab", "secret", "00ff"), subnet: "10.77.59.0/24", portBase: 25900, hosts, mode: "swarm" }),
  );

  it("creates the attachable overlay and each node's service with exactly the planned fields", () => {
    expect(overlayCreateOptions(swarm.network)).toEqual({
      Name: "t-rig-net",
      Driver: "overlay",
      Attachable: true,
      CheckDuplicate: true,
      IPAM: { Driver: "default", Config: [{ Subnet: "10.77.59.0/24", Gateway: "10.77.59.1" }] },
      Labels: { "netlab.stack": "t-rig" },
    });
    const node = swarm.nodes[1]!;
    const spec = serviceSpec(node, { "netlab.stack": "t-rig", "netlab.node": node.node });
    expect(spec).toEqual({
      Name: "t-rig-n2",
      Labels: node.labels,
      TaskTemplate: {
        ContainerSpec: {
          Image: node.image,
          Args: node.command,
          Env: node.env,
          Labels: node.labels,
          Hostname: "t-rig-n2",
          Init: true,
          StopSignal: "SIGTERM",
          StopGracePeriod: 60e9,
          Mounts: [{ Type: "volume", Source: "t-rig-n2-data", Target: "/home/bitcoin/.bitcoin", VolumeOptions: { Labels: { "netlab.stack": "t-rig", "netlab.node": "n2" } } }],
          HealthCheck: { Test: node.healthcheck.test, Interval: 10e9, Timeout: 10e9, Retries: 3, StartPeriod: 120e9 },
        },
        Resources: { Limits: {} },
        RestartPolicy: { Condition: "any", Delay: 1e9, MaxAttempts: 0 },
        Placement: { Constraints: ["node.labels.netlab.takes.h2==true"] },
        Networks: [{ Target: "t-rig-net" }],
      },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: { Mode: "dnsrr", Ports: [] },
    });
  });
});
