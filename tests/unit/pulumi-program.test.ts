// The Pulumi program under Pulumi's own mock runtime (the CLI and providers cannot run here): every resource
// must get exactly the inputs the plan says, secrets stay secret, and one more edge is one more resource.
import * as pulumi from "@pulumi/pulumi";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_TOPOLOGIES } from "../../infra/config.js";
import { buildPlan } from "../../src/plan/plan.js";
import { rpcAuthLine } from "../../src/plan/rpcauth.js";
import { stackSettings } from "../../src/plan/stack.js";
import type { LabPlan } from "../../src/plan/types.js";
import { loadTopology } from "../../src/topology/load.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const PASSWORD = "correct-horse-battery-staple-0123";
const RPCAUTH = rpcAuthLine("netlab", PASSWORD, "5eed5eed5eed5eed5eed5eed5eed5eed");

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider: string | undefined;
}

interface ProgramRun {
  resources: Registered[];
  exports: Record<string, unknown>;
}

async function settle(resources: Registered[]): Promise<void> {
  // Registrations reach the mock monitor asynchronously; wait until no more arrive.
  let stable = 0;
  let last = -1;
  while (stable < 20) {
    await new Promise((r) => setTimeout(r, 5));
    stable = resources.length === last ? stable + 1 : 0;
    last = resources.length;
  }
}

async function runProgram(stack: string, config: Record<string, string>, secretKeys: string[] = ["netlab:rpcPassword", "netlab:grafanaPassword"]): Promise<ProgramRun> {
  const resources: Registered[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
        return { id: `${args.name}-id`, state: { ...args.inputs } };
      },
      call: (args) => args.inputs,
    },
    "bitcoin-netlab",
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(config, secretKeys);
  vi.resetModules();
  const exports = (await import("../../infra/index.js")) as Record<string, unknown>;
  await settle(resources);
  return { resources, exports };
}

function outputValue<T>(output: unknown): Promise<T> {
  return (output as { promise(): Promise<T> }).promise();
}

function planFor(stack: string, topologyFile = DEFAULT_TOPOLOGIES[stack]!): LabPlan {
  return buildPlan(loadTopology(resolve(repoRoot, topologyFile)), stackSettings(stack, { rpcAuth: RPCAUTH }));
}

const labels = (record: Record<string, string>) => Object.entries(record).map(([label, value]) => ({ label, value }));

const GRAFANA_PASSWORD = "grafana-admin-secret-42";
const baseConfig = { "netlab:rpcAuth": RPCAUTH, "netlab:rpcPassword": PASSWORD, "netlab:grafanaPassword": GRAFANA_PASSWORD };

describe.each(["dev", "regtest", "testnet", "mainnet"])("the %s stack under Pulumi mocks", (stack) => {
  let run: ProgramRun;
  let plan: LabPlan;
  beforeEach(async () => {
    run = await runProgram(stack, { ...baseConfig, "netlab:topology": DEFAULT_TOPOLOGIES[stack]! });
    plan = planFor(stack);
  });

  const byType = (type: string) => run.resources.filter((r) => r.type === type);

  it("creates one container per planned node with exactly the planned inputs", () => {
    const serviceNames = new Set(plan.services.map((s) => `${stack}-${s.service}-container`));
    const containers = byType("docker:index/container:Container").filter((c) => !serviceNames.has(c.name));
    expect(containers.map((c) => c.name).sort()).toEqual(plan.nodes.map((n) => `${stack}-${n.node}-container`).sort());
    for (const node of plan.nodes) {
      const container = containers.find((c) => c.name === `${stack}-${node.node}-container`)!;
      expect(container.inputs).toEqual({
        name: node.container,
        hostname: node.container,
        image: node.image,
        command: node.command,
        envs: node.env,
        labels: labels(node.labels),
        networksAdvanced: [{ name: plan.network.name, ipv4Address: node.ip }],
        ports: node.ports,
        volumes: [{ volumeName: node.volume.name, containerPath: "/home/bitcoin/.bitcoin" }],
        healthcheck: {
          tests: ["CMD", "bitcoin-cli", "-rpcclienttimeout=5", "getblockchaininfo"],
          interval: "10s",
          timeout: "10s",
          retries: 3,
          startPeriod: "120s",
          startInterval: "1s",
        },
        restart: "unless-stopped",
        stopTimeout: node.stopTimeout,
        stopSignal: "SIGTERM",
        init: true,
        destroyGraceSeconds: node.stopTimeout,
        ...(node.memoryMb === undefined ? {} : { memory: node.memoryMb }),
        ...(node.cpus === undefined ? {} : { cpus: String(node.cpus) }),
        wait: true,
        waitTimeout: 300,
      });
    }
  });

  it("publishes RPC on 127.0.0.1 only, and P2P only on public chains", () => {
    for (const container of byType("docker:index/container:Container").filter((c) => (c.inputs.labels as { label: string }[]).some((l) => l.label === "netlab.node"))) {
      const ports = container.inputs.ports as { internal: number; external: number; ip: string }[];
      const rpc = ports.filter((p) => p.ip === "127.0.0.1");
      expect(rpc).toHaveLength(1);
      const p2p = ports.filter((p) => p.ip !== "127.0.0.1");
      if (stack === "dev" || stack === "regtest") expect(p2p).toEqual([]);
      // mainnet's m2 sets listen=0: it accepts no peers, so nothing is published for it.
      else expect(p2p.length).toBe(container.name.includes("-m2-") ? 0 : 1);
    }
  });

  it("creates the network, volumes and images as planned", () => {
    expect(byType("docker:index/network:Network").map((r) => r.inputs)).toEqual([
      { name: `${stack}-net`, driver: "bridge", ipamConfigs: [{ subnet: plan.network.subnet, gateway: plan.network.gateway }], labels: [{ label: "netlab.stack", value: stack }] },
    ]);
    const byName = (a: { name?: unknown }, b: { name?: unknown }) => String(a.name).localeCompare(String(b.name));
    expect(byType("docker:index/volume:Volume").map((r) => r.inputs).sort(byName)).toEqual(
      plan.volumes.map((v) => ({ name: v.name, labels: labels(v.labels) })).sort(byName),
    );
    const byImage = (a: { imageName?: unknown }, b: { imageName?: unknown }) => String(a.imageName).localeCompare(String(b.imageName));
    const built = plan.images.filter((image) => image.context !== undefined);
    expect(byType("docker:index/image:Image").map((r) => r.inputs).sort(byImage)).toEqual(
      built.map((image) => ({
        imageName: image.name,
        build: { context: resolve(repoRoot, image.context!), args: image.buildArgs },
        buildOnPreview: false,
        skipPush: true,
      })).sort(byImage),
    );
    expect(byType("docker:index/remoteImage:RemoteImage").map((r) => r.inputs)).toEqual([{ name: "grafana/grafana-oss:12.3.0", keepLocally: true }]);
    const prepares = byType("command:local:Command").filter((c) => c.name.endsWith("-prepare"));
    expect(prepares.map((c) => c.inputs.create).sort()).toEqual(built.flatMap((image) => (image.prepare ? [image.prepare] : [])).sort());
    expect(prepares.every((c) => c.inputs.dir === repoRoot)).toBe(true);
  });

  it("runs Graphite, Grafana, the exporter and the viewer with secrets only in uploaded files", () => {
    const services = Object.fromEntries(byType("docker:index/container:Container").filter((c) => c.name.match(/-(graphite|grafana|exporter|viewer)-container$/)).map((c) => [c.name.split("-").at(-2)!, c.inputs]));
    expect(Object.keys(services).sort()).toEqual(["exporter", "grafana", "graphite", "viewer"]);
    const graphiteIp = plan.network.subnet.replace(/\.0\/24$/, ".2");
    const hostPort = (name: string) => plan.services.find((s) => s.service === name)!.ports[0]!.external;
    expect(services.graphite).toMatchObject({
      name: `${stack}-graphite`,
      image: "bitcoin-netlab/graphite:1",
      networksAdvanced: [{ name: `${stack}-net`, ipv4Address: graphiteIp }],
      ports: [{ internal: 8080, external: hostPort("graphite"), ip: "127.0.0.1", protocol: "tcp" }],
      volumes: [{ volumeName: `${stack}-graphite-data`, containerPath: "/var/lib/graphite" }],
      wait: true,
    });
    // Pulumi's wire form of a secret value: files with a secret in them travel to the provider as a secret.
    const SECRET_SIG = "4dabf18193072939515e22adb298388d";
    const uploads = (name: string) => {
      const value = services[name]!.uploads as { [SECRET_SIG]?: string; value?: { file: string; content: string }[] } | { file: string; content: string }[];
      const files = Array.isArray(value) ? value : value.value!;
      return { secret: !Array.isArray(value) && value[SECRET_SIG] !== undefined, files: Object.fromEntries(files.map((u) => [u.file, u.content])) };
    };
    expect(uploads("grafana").secret).toBe(true);
    expect(uploads("exporter").secret).toBe(true);
    expect(uploads("grafana").files["/run/secrets/grafana-admin-password"]).toBe(GRAFANA_PASSWORD);
    expect(services.grafana!.envs).toContain("GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana-admin-password");
    expect(uploads("grafana").files["/etc/grafana/provisioning/datasources/netlab.yaml"]).toContain(`url: http://${graphiteIp}:8080`);
    expect(Object.keys(uploads("grafana").files).filter((f) => f.startsWith("/etc/netlab/dashboards/")).length).toBeGreaterThanOrEqual(8);
    expect(uploads("exporter").files["/run/secrets/rpc-password"]).toBe(PASSWORD);
    expect(JSON.parse(uploads("exporter").files["/etc/netlab/exporter.json"]!)).toMatchObject({ stack, statsd: { port: 8125 }, rpc: { user: "netlab", passwordFile: "/run/secrets/rpc-password" } });
    expect(services.exporter!.mounts).toEqual([{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: true }]);
    expect(services.viewer!.ports).toEqual([{ internal: 8088, external: hostPort("viewer"), ip: "127.0.0.1", protocol: "tcp" }]);
    // The passwords are in the uploaded secret files and nowhere else: not in env, args, labels or other resources.
    const withoutUploads = run.resources.map((r) => ({ ...r, inputs: { ...r.inputs, uploads: undefined } }));
    expect(JSON.stringify(withoutUploads)).not.toContain(PASSWORD);
    expect(JSON.stringify(withoutUploads)).not.toContain(GRAFANA_PASSWORD);
  });

  it("connects each edge with one command that runs addnode in the dialling node", () => {
    const commands = byType("command:local:Command").filter((c) => c.name.includes("-to-"));
    const byName = Object.fromEntries(commands.map((c) => [c.name, c.inputs]));
    expect(Object.keys(byName).sort()).toEqual(plan.edges.map((edge) => `${stack}-${edge.from}-to-${edge.to}`).sort());
    for (const edge of plan.edges) {
      const from = plan.nodes.find((n) => n.node === edge.from)!;
      const to = plan.nodes.find((n) => n.node === edge.to)!;
      expect(byName[`${stack}-${edge.from}-to-${edge.to}`]).toEqual({
        create: `docker exec ${from.container} netlab-edge add ${to.ip}:${to.p2pAddress.split(":")[1]}`,
        delete: `docker exec ${from.container} netlab-edge remove ${to.ip}:${to.p2pAddress.split(":")[1]}`,
      });
    }
  });

  it("bootstraps wallets and the first 101 blocks only on regtest", () => {
    const steps = byType("command:local:Command").filter((c) => !c.name.includes("-to-") && !c.name.endsWith("-prepare"));
    if (stack === "testnet" || stack === "mainnet") expect(steps).toEqual([]);
    else {
      const miners = plan.nodes.filter((n) => n.role === "miner");
      expect(steps.find((s) => s.name === `${stack}-mature-chain`)!.inputs).toEqual({ create: `docker exec ${miners[0]!.container} netlab-bootstrap mature 101` });
      expect(steps.length).toBe(plan.nodes.filter((n) => n.role === "miner" || n.role === "wallet").length + 1);
    }
  });

  it("exports what the viewer needs, with the RPC password as a secret that no resource sees", async () => {
    const nodes = run.exports.nodes as { name: string; rpc: string; p2p: string; ip: string }[];
    expect(nodes.map((n) => n.name)).toEqual(plan.nodes.map((n) => n.node));
    expect(nodes[0]!.rpc).toBe(`127.0.0.1:${plan.nodes[0]!.ports[0]!.external}`);
    expect(run.exports.edges).toEqual(plan.edges.map((e) => ({ from: e.from, to: e.to, target: e.target })));
    expect(run.exports.chain).toBe(plan.chain);
    const rpc = run.exports.rpc as { user: string; password: pulumi.Output<string> };
    expect(rpc.user).toBe("netlab");
    expect(await pulumi.isSecret(rpc.password)).toBe(true);
    expect(await outputValue(rpc.password)).toBe(PASSWORD);
    expect(JSON.stringify(run.resources)).toContain(RPCAUTH);
    expect(run.exports.grafanaUrl).toBe(`http://127.0.0.1:${plan.services.find((s) => s.service === "grafana")!.ports[0]!.external}`);
    const grafana = run.exports.grafana as { user: string; password: pulumi.Output<string> };
    expect(await pulumi.isSecret(grafana.password)).toBe(true);
  });
});

describe("topology changes as stack diffs", () => {
  it("adding one edge adds exactly one resource and leaves every other resource's inputs unchanged", async () => {
    const dir = mkdtempSync(join(tmpdir(), "netlab-diff-"));
    const original = readFileSync(resolve(repoRoot, "topologies/dev.yaml"), "utf8");
    const plusEdge = join(dir, "dev-plus-edge.yaml");
    writeFileSync(plusEdge, `${original}  - { from: n3, to: n1 }\n`);
    const before = await runProgram("dev", { ...baseConfig, "netlab:topology": resolve(repoRoot, "topologies/dev.yaml") });
    const after = await runProgram("dev", { ...baseConfig, "netlab:topology": plusEdge });

    const key = (r: Registered) => `${r.type}::${r.name}`;
    const beforeKeys = new Map(before.resources.map((r) => [key(r), r] as const));
    const added = after.resources.filter((r) => !beforeKeys.has(key(r)));
    expect(added.map((r) => [r.type, r.name])).toEqual([["command:local:Command", "dev-n3-to-n1"]]);
    expect(added[0]!.inputs).toEqual({
      create: "docker exec dev-n3 netlab-edge add 10.77.1.10:18444",
      delete: "docker exec dev-n3 netlab-edge remove 10.77.1.10:18444",
    });
    for (const resource of after.resources.filter((r) => beforeKeys.has(key(r)))) {
      expect(resource.inputs, key(resource)).toEqual(beforeKeys.get(key(resource))!.inputs);
    }
    expect(after.resources.length).toBe(before.resources.length + 1);
  });

  it("adding a node adds its volume, container and edge without changing existing nodes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "netlab-diff-"));
    const original = readFileSync(resolve(repoRoot, "topologies/dev.yaml"), "utf8");
    const plusNode = join(dir, "dev-plus-node.yaml");
    writeFileSync(plusNode, original.replace("edges:\n", "  - name: n4\nedges:\n  - { from: n4, to: n3 }\n"));
    const before = await runProgram("dev", { ...baseConfig, "netlab:topology": resolve(repoRoot, "topologies/dev.yaml") });
    const after = await runProgram("dev", { ...baseConfig, "netlab:topology": plusNode });
    const key = (r: Registered) => `${r.type}::${r.name}`;
    const beforeKeys = new Map(before.resources.map((r) => [key(r), r] as const));
    const added = after.resources.filter((r) => !beforeKeys.has(key(r))).filter((r) => r.type.startsWith("docker:") || r.type.startsWith("command:"));
    expect(added.map((r) => r.name).sort()).toEqual(["dev-n4-container", "dev-n4-data", "dev-n4-to-n3"]);
    for (const resource of after.resources.filter((r) => beforeKeys.has(key(r)))) {
      expect(resource.inputs, key(resource)).toEqual(beforeKeys.get(key(resource))!.inputs);
    }
  });
});

describe("a topology with link conditions", () => {
  it("gives NET_ADMIN, the link plan and the relay label only to nodes with conditioned edges, and dials the relay", async () => {
    const dir = mkdtempSync(join(tmpdir(), "netlab-link-"));
    const file = join(dir, "link.yaml");
    writeFileSync(
      file,
      [
        "chain: regtest",
        "nodes: [{ name: n1, role: miner }, { name: n2 }, { name: n3 }, { name: n4 }]",
        "edges:",
        "  - { from: n1, to: n2 }",
        "  - { from: n2, to: n3, latency: 100ms }",
        "  - { from: n3, to: n4, bandwidth: 1mbit }",
        "",
      ].join("\n"),
    );
    const run = await runProgram("dev", { ...baseConfig, "netlab:topology": file });
    const plan = buildPlan(loadTopology(file), stackSettings("dev", { rpcAuth: RPCAUTH }));
    const container = (node: string) => run.resources.find((r) => r.type === "docker:index/container:Container" && r.name === `dev-${node}-container`)!.inputs;
    expect(container("n1").capabilities).toBeUndefined();
    expect(container("n1").envs).toEqual(["NETLAB_STACK=dev", "NETLAB_NODE=n1"]);
    for (const node of ["n2", "n3", "n4"]) {
      const planned = plan.nodes.find((n) => n.node === node)!;
      expect(container(node).capabilities).toEqual({ adds: ["NET_ADMIN"] });
      expect(container(node).envs).toEqual(["NETLAB_STACK=dev", `NETLAB_NODE=${node}`, `NETLAB_LINK=${JSON.stringify(planned.link)}`]);
      expect(container(node).labels).toEqual(labels(planned.labels));
    }
    expect(container("n2").labels).toContainEqual({ label: "netlab.relays", value: "127.0.0.1:40002=n3" });
    expect(container("n2").command).toContain("-whitelist=in,out,noban@127.0.0.1/32");
    expect(container("n3").command).not.toContain("-whitelist=in,out,noban@127.0.0.1/32");
    const edge = (name: string) => run.resources.find((r) => r.type === "command:local:Command" && r.name === `dev-${name}`)!.inputs;
    expect(edge("n2-to-n3")).toEqual({ create: "docker exec dev-n2 netlab-edge add 127.0.0.1:40002", delete: "docker exec dev-n2 netlab-edge remove 127.0.0.1:40002" });
    expect(edge("n3-to-n4")).toEqual({ create: "docker exec dev-n3 netlab-edge add 10.77.1.13:18444", delete: "docker exec dev-n3 netlab-edge remove 10.77.1.13:18444" });
  });
});

describe("stack configuration", () => {
  it("tells how to create credentials when a stack has none", async () => {
    await expect(runProgram("dev", { "netlab:topology": "topologies/dev.yaml" }, [])).rejects.toThrow(/npm run stack -- init dev/);
  });

  it("gives each default stack its own subnet and host ports, so all four can run at once", () => {
    const plans = ["dev", "regtest", "testnet", "mainnet"].map((stack) => planFor(stack));
    const subnets = plans.map((p) => p.network.subnet);
    expect(new Set(subnets).size).toBe(4);
    const ports = plans.flatMap((p) => p.nodes.flatMap((n) => n.ports.map((port) => port.external)));
    expect(new Set(ports).size).toBe(ports.length);
    const names = plans.flatMap((p) => [p.network.name, ...p.nodes.map((n) => n.container), ...p.volumes.map((v) => v.name)]);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("a stack over several Docker hosts", () => {
  it("gives each remote host a provider, its own images and network, and puts each node on its host", async () => {
    const hosts = [
      { name: "h1", address: "192.168.50.11" },
      { name: "h2", docker: "ssh://lab@192.168.50.12", address: "192.168.50.12" },
      { name: "h3", docker: "tcp://192.168.50.13:2376", address: "192.168.50.13" },
    ];
    const run = await runProgram("lab3", {
      ...baseConfig,
      "netlab:topology": "topologies/dev.yaml",
      "netlab:subnet": "10.88.0.0/24",
      "netlab:portBase": "31000",
      "netlab:hosts": JSON.stringify(hosts),
      "netlab:hostTls": JSON.stringify({ h3: { ca: "CA-PEM", cert: "CERT-PEM", key: "KEY-PEM-SECRET" } }),
    }, ["netlab:rpcPassword", "netlab:grafanaPassword", "netlab:hostTls"]);
    const providers = run.resources.filter((r) => r.type === "pulumi:providers:docker");
    expect(providers.map((p) => [p.name, p.inputs.host])).toEqual([
      ["lab3-host-h2", "ssh://lab@192.168.50.12"],
      ["lab3-host-h3", "tcp://192.168.50.13:2376"],
    ]);
    // TLS material for the tcp:// host reaches its provider only as a secret.
    const tls = providers[1]!.inputs as Record<string, { value?: string; [sig: string]: unknown }>;
    expect(Object.keys(tls).sort()).toEqual(["caMaterial", "certMaterial", "host", "keyMaterial"]);
    expect(tls.keyMaterial!.value).toBe("KEY-PEM-SECRET");
    expect(tls.keyMaterial!["4dabf18193072939515e22adb298388d"]).toBeDefined();
    expect(providers[0]!.inputs).toEqual({ host: "ssh://lab@192.168.50.12" });
    const providerOf = (name: string) => run.resources.find((r) => r.name === name)!.provider ?? "";
    expect(providerOf("lab3-n1-container")).not.toContain("lab3-host-");
    expect(providerOf("lab3-n2-container")).toContain("lab3-host-h2");
    expect(providerOf("lab3-n3-container")).toContain("lab3-host-h3");
    expect(providerOf("lab3-graphite-container")).not.toContain("lab3-host-");
    const networks = run.resources.filter((r) => r.type === "docker:index/network:Network");
    expect(networks.map((n) => [n.name, n.inputs.name, n.provider?.includes("lab3-host-") ? n.provider.split("::")[3] : "local"]).sort()).toEqual([
      ["lab3-net-h2-network", "lab3-net", "lab3-host-h2"],
      ["lab3-net-h3-network", "lab3-net", "lab3-host-h3"],
      ["lab3-net-network", "lab3-net", "local"],
    ]);
    const imagesOn = (host: string) =>
      run.resources.filter((r) => r.type === "docker:index/image:Image" && (r.provider ?? "").includes(`lab3-host-${host}`)).map((r) => r.inputs.imageName);
    expect(imagesOn("h2")).toEqual(["bitcoin-netlab/bitcoind:knots-29.4"]);
    expect(imagesOn("h3")).toEqual(["bitcoin-netlab/bitcoind:knots-29.4"]);
    const edge = run.resources.find((r) => r.name === "lab3-n3-to-n2")!;
    expect(edge.inputs.create).toBe("docker -H tcp://192.168.50.13:2376 exec lab3-n3 netlab-edge add 192.168.50.12:31501");
    expect((run.exports.nodes as { name: string; host: string }[]).map((n) => `${n.name}@${n.host}`)).toEqual(["n1@h1", "n2@h2", "n3@h3"]);
  });
});

describe("a stack in swarm mode", () => {
  const hosts = [
    { name: "h1", address: "192.168.50.11" },
    { name: "h2", docker: "ssh://lab@192.168.50.12", address: "192.168.50.12" },
    { name: "h3", docker: "tcp://192.168.50.13:2376", address: "192.168.50.13" },
  ];
  const config = { ...baseConfig, "netlab:topology": "topologies/dev.yaml", "netlab:subnet": "10.88.0.0/24", "netlab:portBase": "31000", "netlab:hosts": JSON.stringify(hosts), "netlab:mode": "swarm" };

  it("creates one attachable overlay and one Swarm service per node through the manager, exactly as planned", async () => {
    const run = await runProgram("lab3", config);
    const plan = buildPlan(loadTopology(resolve(repoRoot, "topologies/dev.yaml")), stackSettings("lab3", { rpcAuth: RPCAUTH, subnet: "10.88.0.0/24", portBase: 31000, hosts, mode: "swarm" }));
    const networks = run.resources.filter((r) => r.type === "docker:index/network:Network");
    expect(networks.map((n) => [n.name, n.provider ?? ""])).toEqual([["lab3-net-network", expect.not.stringContaining("lab3-host-")]]);
    expect(networks[0]!.inputs).toEqual({ name: "lab3-net", driver: "overlay", attachable: true, ipamConfigs: [{ subnet: "10.88.0.0/24", gateway: "10.88.0.1" }], labels: labels({ "netlab.stack": "lab3" }) });
    expect(run.resources.filter((r) => r.type === "docker:index/container:Container" && r.name.match(/-n\d-container$/))).toEqual([]);
    expect(run.resources.filter((r) => r.type === "docker:index/volume:Volume" && r.name.match(/-n\d-data$/))).toEqual([]);

    const services = run.resources.filter((r) => r.type === "docker:index/service:Service");
    expect(services.map((s) => s.name)).toEqual(["lab3-n1-service", "lab3-n2-service", "lab3-n3-service"]);
    for (const service of services) expect(service.provider ?? "", service.name).not.toContain("lab3-host-");
    const n2 = plan.nodes[1]!;
    expect(services[1]!.inputs).toEqual({
      name: "lab3-n2",
      labels: labels(n2.labels),
      taskSpec: {
        containerSpec: {
          image: "bitcoin-netlab/bitcoind:knots-29.4",
          args: n2.command,
          env: { NETLAB_STACK: "lab3", NETLAB_NODE: "n2" },
          labels: labels(n2.labels),
          hostname: "lab3-n2",
          init: true,
          stopSignal: "SIGTERM",
          stopGracePeriod: "60s",
          mounts: [{ type: "volume", source: "lab3-n2-data", target: "/home/bitcoin/.bitcoin", volumeOptions: { labels: labels({ "netlab.stack": "lab3", "netlab.node": "n2" }) } }],
          healthcheck: { tests: ["CMD", "bitcoin-cli", "-rpcclienttimeout=5", "getblockchaininfo"], interval: "10s", timeout: "10s", retries: 3, startPeriod: "120s" },
        },
        placement: { constraints: ["node.labels.netlab.takes.h2==true"] },
        restartPolicy: { condition: "any", delay: "1s", maxAttempts: 0 },
        networksAdvanceds: [{ name: "lab3-net" }],
      },
      mode: { replicated: { replicas: 1 } },
      endpointSpec: { mode: "dnsrr", ports: [] },
      convergeConfig: { delay: "1s", timeout: "5m" },
    });
    expect(n2.command).toContain("-addnode=lab3-n1:18444");
    // Every host builds the node image (a task may land anywhere); the services run on the manager, by name on the overlay.
    const imagesOn = (host: string) => run.resources.filter((r) => r.type === "docker:index/image:Image" && (r.provider ?? "").includes(`lab3-host-${host}`)).map((r) => r.inputs.imageName);
    expect(imagesOn("h2")).toEqual(["bitcoin-netlab/bitcoind:knots-29.4"]);
    expect(imagesOn("h3")).toEqual(["bitcoin-netlab/bitcoind:knots-29.4"]);
    const viewer = run.resources.find((r) => r.name === "lab3-viewer-container")!;
    expect(viewer.provider ?? "").not.toContain("lab3-host-");
    expect(viewer.inputs.networksAdvanced).toEqual([{ name: "lab3-net" }]);
    expect(viewer.inputs.entrypoints).toEqual(plan.services.find((s) => s.service === "viewer")!.entrypoint);
    expect(JSON.stringify(viewer.inputs.entrypoints)).not.toContain(PASSWORD);
    const edge = run.resources.find((r) => r.name === "lab3-n2-to-n1")!;
    expect(edge.inputs.create).toBe(plan.edges.find((e) => e.name === "n2-to-n1")!.create);
    expect(edge.inputs.create).toContain("netlab-edge add lab3-n1:18444");
    // Each host's Swarm node gets the label that pins its nodes, through the manager, before any service.
    const labelCommands = run.resources.filter((r) => r.name.startsWith("lab3-swarm-label-"));
    expect(labelCommands.map((r) => [r.name, r.inputs])).toEqual([
      ["lab3-swarm-label-h1", { create: "docker node update --label-add netlab.takes.h1=true h1", delete: "docker node update --label-rm netlab.takes.h1 h1" }],
      ["lab3-swarm-label-h2", { create: "docker node update --label-add netlab.takes.h2=true h2", delete: "docker node update --label-rm netlab.takes.h2 h2" }],
      ["lab3-swarm-label-h3", { create: "docker node update --label-add netlab.takes.h3=true h3", delete: "docker node update --label-rm netlab.takes.h3 h3" }],
    ]);
  });

  it("refuses swarm mode without hosts", async () => {
    await expect(runProgram("lab3", { ...baseConfig, "netlab:topology": "topologies/dev.yaml", "netlab:subnet": "10.88.0.0/24", "netlab:portBase": "31000", "netlab:mode": "swarm" })).rejects.toThrow(/mode "swarm" needs hosts/);
  });
});
