// The pure plan: deterministic, stable when the topology grows, and safe by construction.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { dashboardFiles } from "../../src/monitoring/dashboards.js";
import { DASHBOARD_FILES } from "../../src/plan/monitoring.js";
import { buildPlan, planJson } from "../../src/plan/plan.js";
import { rpcAuthLine } from "../../src/plan/rpcauth.js";
import { stackSettings } from "../../src/plan/stack.js";
import { TopologyError } from "../../src/topology/errors.js";
import { loadTopology, parseTopology } from "../../src/topology/load.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const PASSWORD = "plan-test-password";
const settings = (stack = "dev") => stackSettings(stack, { rpcAuth: rpcAuthLine("netlab", PASSWORD, "abcdef0123456789") });
const plan = (text: string, stack = "dev") => buildPlan(parseTopology(text, "test.yaml"), settings(stack));
const shipped = (name: string, stack = "dev") => buildPlan(loadTopology(resolve(repoRoot, "topologies", name)), settings(stack));

describe("the lab plan", () => {
  it("is byte-identical for the same topology and stack", () => {
    for (const name of ["dev.yaml", "regtest-10.yaml", "generated-50.yaml"]) {
      expect(planJson(shipped(name, "regtest"))).toBe(planJson(shipped(name, "regtest")));
    }
  });

  it("keeps every existing node's name, address, ports and args when a node is appended", () => {
    const text = readFileSync(resolve(repoRoot, "topologies/regtest-10.yaml"), "utf8");
    const before = plan(text, "regtest");
    const after = plan(`${text.replace("edges:\n", "  - { name: late, role: wallet }\nedges:\n")}  - { from: late, to: miner1 }\n`, "regtest");
    expect(after.nodes.slice(0, before.nodes.length)).toEqual(before.nodes);
    expect(after.volumes.slice(0, before.volumes.length)).toEqual(before.volumes);
    expect(after.edges.slice(0, before.edges.length)).toEqual(before.edges);
    expect(after.network).toEqual(before.network);
    expect(after.nodes.at(-1)).toMatchObject({ node: "late", container: "regtest-late", ip: "10.77.2.20" });
  });

  it("keeps a generated lab's nodes and edges when it grows (barabasi-albert, line)", () => {
    for (const model of ["barabasi-albert", "line"]) {
      const small = plan(`chain: regtest\ngenerator: { model: ${model}, size: 20, seed: 7 }\n`);
      const large = plan(`chain: regtest\ngenerator: { model: ${model}, size: 21, seed: 7 }\n`);
      expect(large.nodes.slice(0, 20)).toEqual(small.nodes);
      const largeEdges = new Set(large.edges.map((e) => e.name));
      for (const edge of small.edges) expect(largeEdges.has(edge.name), edge.name).toBe(true);
      expect(large.edges.length).toBeGreaterThan(small.edges.length);
    }
  });

  it("labels each miner with its hashrate share (declared, or 1), and no other node", () => {
    const p = plan("chain: regtest\ngenerator: { model: ring, size: 4, miners: 3 }\nnodes:\n  - { name: n1, hashrate: 3 }\n  - { name: n2, hashrate: 0.5 }\n");
    expect(p.nodes.map((n) => n.labels["netlab.hashrate"])).toEqual(["3", "0.5", "1", undefined]);
  });

  it("gives nodes rpcauth, never the password, and bitcoind options that suit a regtest lab", () => {
    const dev = shipped("dev.yaml");
    const n1 = dev.nodes[0]!;
    expect(planJson(dev)).not.toContain(PASSWORD);
    expect(n1.command).toContain(`-rpcauth=${rpcAuthLine("netlab", PASSWORD, "abcdef0123456789")}`);
    expect(n1.command).toEqual(
      expect.arrayContaining(["-chain=regtest", "-rpcbind=0.0.0.0", "-rpcallowip=10.77.1.0/24", "-whitelist=in,out,noban@10.77.1.0/24", "-dnsseed=0", "-fixedseeds=0", "-addresstype=bech32", "-changetype=bech32"]),
    );
    expect(n1.ports).toEqual([{ internal: 18443, external: 21000, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(n1.labels).toEqual({ "netlab.stack": "dev", "netlab.node": "n1", "netlab.role": "miner", "netlab.implementation": "knots", "netlab.version": "29.4", "netlab.hashrate": "1" });
    expect(dev.edges[0]).toEqual({
      name: "n2-to-n1",
      from: "n2",
      to: "n1",
      target: "10.77.1.10:18444",
      create: "docker exec dev-n2 netlab-edge add 10.77.1.10:18444",
      delete: "docker exec dev-n2 netlab-edge remove 10.77.1.10:18444",
    });
  });

  it("lets a topology override a lab default once, and add to repeatable options", () => {
    const p = plan("chain: regtest\nnodes:\n  - name: a\n    options: { dbcache: 100, debug: [net, mempool], whitelist: 'noban@10.9.0.0/16', txindex: true }\n");
    const command = p.nodes[0]!.command;
    expect(command.filter((arg) => arg.startsWith("-dbcache="))).toEqual(["-dbcache=100"]);
    expect(command.filter((arg) => arg.startsWith("-debug="))).toEqual(["-debug=net", "-debug=mempool"]);
    expect(command.filter((arg) => arg.startsWith("-whitelist="))).toEqual(["-whitelist=in,out,noban@10.77.1.0/24", "-whitelist=noban@10.9.0.0/16"]);
    expect(command).toContain("-txindex=1");
  });

  it("publishes P2P only for public-chain nodes that accept peers; no seeds are disabled there", () => {
    const mainnet = shipped("mainnet.yaml", "mainnet");
    expect(mainnet.nodes.map((n) => n.ports.map((p) => `${p.ip}:${p.external}->${p.internal}`))).toEqual([
      ["127.0.0.1:24000->8332", "0.0.0.0:24500->8333"],
      ["127.0.0.1:24001->8332"],
    ]);
    expect(mainnet.nodes[0]!.command).not.toContain("-dnsseed=0");
    expect(mainnet.nodes[0]!.command).toContain("-prune=550");
    expect(mainnet.bootstrap).toEqual([]);
    const testnet = shipped("testnet.yaml", "testnet");
    expect(testnet.nodes.every((n) => n.ports.some((p) => p.internal === 18333 && p.ip === "0.0.0.0"))).toBe(true);
    expect(testnet.nodes[0]!.command).toContain("-chain=test");
  });

  it("uses only noban for Core releases that predate whitelist direction flags", () => {
    const p = plan("chain: regtest\nnodes:\n  - { name: old, implementation: core, version: '27.2' }\n  - { name: new, implementation: core, version: '28.1' }\n");
    expect(p.nodes[0]!.command).toContain("-whitelist=noban@10.77.1.0/24");
    expect(p.nodes[1]!.command).toContain("-whitelist=in,out,noban@10.77.1.0/24");
    expect(p.images.filter((i) => i.labels["netlab.image"] === "bitcoind").map((i) => i.name)).toEqual(["bitcoin-netlab/bitcoind:core-27.2", "bitcoin-netlab/bitcoind:core-28.1"]);
  });

  it("runs a stand-in image where the stack overrides one, and does not build the original", () => {
    const overridden = buildPlan(
      loadTopology(resolve(repoRoot, "topologies/regtest-10.yaml")),
      stackSettings("regtest", { rpcAuth: settings().rpcAuth, imageOverrides: { "bitcoin-netlab/bitcoind:core-29.1": "bitcoin-netlab/bitcoind:knots-29.4" } }),
    );
    expect(overridden.images.filter((i) => i.labels["netlab.image"] === "bitcoind").map((i) => i.name)).toEqual(["bitcoin-netlab/bitcoind:knots-29.4"]);
    const miner2 = overridden.nodes.find((n) => n.node === "miner2")!;
    expect(miner2.image).toBe("bitcoin-netlab/bitcoind:knots-29.4");
    expect(miner2.labels["netlab.implementation"]).toBe("core");
  });

  it("bootstraps a wallet per miner and wallet node, then matures the chain at the first miner", () => {
    expect(shipped("regtest-10.yaml", "regtest").bootstrap.map((s) => s.create)).toEqual([
      "docker exec regtest-miner1 netlab-bootstrap wallet miner",
      "docker exec regtest-miner2 netlab-bootstrap wallet miner",
      "docker exec regtest-wallet1 netlab-bootstrap wallet wallet",
      "docker exec regtest-wallet2 netlab-bootstrap wallet wallet",
      "docker exec regtest-miner1 netlab-bootstrap mature 101",
    ]);
  });

  it("refuses a lab larger than its stack's subnet, naming the file", () => {
    expect(() => plan("chain: regtest\ngenerator: { model: line, size: 300 }\n")).toThrow(TopologyError);
    expect(() => plan("chain: regtest\ngenerator: { model: line, size: 300 }\n")).toThrow(
      /test\.yaml: nodes: 300 nodes do not fit stack "dev" \(subnet 10\.77\.1\.0\/24 has room for 245\)/,
    );
  });

  it("refuses stack settings that would clash or expose the lab", () => {
    const rpcAuth = settings().rpcAuth;
    expect(() => stackSettings("lab2", { rpcAuth })).toThrow(/stack "lab2" has no default subnet and port range/);
    expect(() => stackSettings("dev", { rpcAuth, subnet: "8.8.8.0/24" })).toThrow(/must be a private range/);
    expect(() => stackSettings("dev", { rpcAuth, portBase: 65000 })).toThrow(/portBase 65000 must be a whole number from 1024 to 64536/);
    expect(() => stackSettings("Dev", { rpcAuth, subnet: "10.88.0.0/24", portBase: 30000 })).toThrow(/stack name "Dev" must be lowercase/);
    expect(stackSettings("lab2", { rpcAuth, subnet: "10.88.0.0/22", portBase: 30000 })).toMatchObject({ subnet: "10.88.0.0/22", portBase: 30000 });
  });
});

describe("monitoring services in the plan", () => {
  it("provisions every dashboard in dashboards/ into Grafana", () => {
    expect([...DASHBOARD_FILES].sort()).toEqual(dashboardFiles().sort());
  });

  it("keeps services out of the plan when the stack turns monitoring off, and their configs free of node lists", () => {
    const off = buildPlan(loadTopology(resolve(repoRoot, "topologies/dev.yaml")), stackSettings("dev", { rpcAuth: settings().rpcAuth, monitoring: false }));
    expect(off.services).toEqual([]);
    expect(off.images.map((i) => i.name)).toEqual(["bitcoin-netlab/bitcoind:knots-29.4"]);
    const on = shipped("regtest-10.yaml", "regtest");
    expect(on.services.map((s) => `${s.service} ${s.ip} ${s.url ?? "-"}`)).toEqual([
      "graphite 10.77.2.2 http://127.0.0.1:22990",
      "grafana 10.77.2.3 http://127.0.0.1:22991",
      "exporter 10.77.2.5 -",
      "viewer 10.77.2.4 http://127.0.0.1:22992",
    ]);
    // Adding a node or an edge must not touch a service: nothing in them names the nodes.
    expect(JSON.stringify(on.services)).not.toMatch(/miner1|relay1|10\.77\.2\.1[0-9]/);
    expect(on.services.flatMap((s) => s.ports).every((p) => p.ip === "127.0.0.1")).toBe(true);
  });
});

describe("labs over several Docker hosts", () => {
  const hosts = [
    { name: "h1", address: "192.168.50.11" },
    { name: "h2", docker: "ssh://lab@192.168.50.12", address: "192.168.50.12", labels: { zone: "b" } },
    { name: "h3", docker: "tcp://192.168.50.13:2376", address: "192.168.50.13", labels: { zone: "c" }, maxNodes: 2 },
  ];
  const onHosts = (text: string, extra: Partial<Parameters<typeof stackSettings>[1]> = {}) =>
    buildPlan(parseTopology(text, "hosts.yaml"), stackSettings("lab3", { rpcAuth: settings().rpcAuth, subnet: "10.88.0.0/24", portBase: 31000, hosts, ...extra }));

  it("spreads nodes over the hosts in declaration order, honouring names, labels and room", () => {
    const plan = onHosts("chain: regtest\ngenerator: { model: ring, size: 7 }\nnodes:\n  - { name: n7, host: h1 }\n  - { name: pinned, hostLabels: { zone: b } }\n");
    expect(plan.nodes.map((n) => `${n.node}@${n.host}`)).toEqual(["n1@h1", "n2@h2", "n3@h3", "n4@h1", "n5@h2", "n6@h3", "n7@h1", "pinned@h2"]);
    const binpack = onHosts("chain: regtest\nplacement: binpack\ngenerator: { model: line, size: 3 }\nnodes:\n  - { name: n3, hostLabels: { zone: c } }\n");
    expect(binpack.nodes.map((n) => n.host)).toEqual(["h1", "h1", "h3"]);
    expect(binpack.hosts.map((h) => h.name)).toEqual(["h1", "h3"]);
  });

  it("keeps every node where it was when a node is appended", () => {
    const text = "chain: regtest\nnodes:\n  - { name: a }\n  - { name: b }\n  - { name: c }\n  - { name: d }\n";
    const before = onHosts(text);
    const after = onHosts(`${text}  - { name: e }\n`);
    expect(after.nodes.slice(0, 4)).toEqual(before.nodes);
  });

  it("dials across hosts through the target host's address and published port, with the docker CLI aimed at the dialling host", () => {
    const plan = onHosts("chain: regtest\nnodes:\n  - { name: a, host: h1 }\n  - { name: b, host: h2 }\n  - { name: c, host: h2 }\nedges:\n  - { from: b, to: a }\n  - { from: c, to: b }\n");
    const [ba, cb] = plan.edges;
    expect(ba).toMatchObject({ target: "192.168.50.11:31500", create: "docker -H ssh://lab@192.168.50.12 exec lab3-b netlab-edge add 192.168.50.11:31500" });
    expect(cb).toMatchObject({ target: "10.88.0.11:18444", create: "docker -H ssh://lab@192.168.50.12 exec lab3-c netlab-edge add 10.88.0.11:18444" });
    const a = plan.nodes[0]!;
    expect(a.ports).toEqual([
      { internal: 18443, external: 31000, ip: "127.0.0.1", protocol: "tcp" },
      { internal: 18444, external: 31500, ip: "192.168.50.11", protocol: "tcp" },
    ]);
    expect(a.command.filter((arg) => arg.startsWith("-whitelist="))).toEqual(["-whitelist=in,out,noban@10.88.0.0/24", "-whitelist=in,out,noban@192.168.50.12"]);
    expect(plan.bootstrap).toEqual([]);
    expect(plan.hosts.map(({ name, docker, address }) => ({ name, docker, address }))).toEqual([
      { name: "h1", docker: undefined, address: "192.168.50.11" },
      { name: "h2", docker: "ssh://lab@192.168.50.12", address: "192.168.50.12" },
    ]);
    // Each host gets the images its nodes run; the first also the services'.
    expect(plan.hosts.map((h) => h.images)).toEqual([
      ["bitcoin-netlab/graphite:1", "bitcoin-netlab/exporter:1", "bitcoin-netlab/viewer:1", "grafana/grafana-oss:12.3.0", "bitcoin-netlab/bitcoind:knots-29.4"],
      ["bitcoin-netlab/bitcoind:knots-29.4"],
    ]);
  });

  it("publishes the other hosts' RPC on their address for the first host's services, which learn the nodes from a lab file", () => {
    const plan = onHosts("chain: regtest\nnodes:\n  - { name: a, host: h1 }\n  - { name: b, host: h2 }\nedges:\n  - { from: b, to: a }\n");
    const [a, b] = plan.nodes;
    expect(b!.ports[0]).toEqual({ internal: 18443, external: 31001, ip: "192.168.50.12", protocol: "tcp" });
    expect(b!.rpcHostAddress).toBe("192.168.50.12:31001");
    expect(b!.command.filter((arg) => arg.startsWith("-rpcallowip="))).toEqual(["-rpcallowip=10.88.0.0/24", "-rpcallowip=192.168.50.11"]);
    expect(a!.rpcHostAddress).toBe("127.0.0.1:31000");
    expect(a!.command.filter((arg) => arg.startsWith("-rpcallowip="))).toEqual(["-rpcallowip=10.88.0.0/24"]);
    const file = (service: string) => plan.services.find((s) => s.service === service)!.files.find((f) => f.path === "/etc/netlab/lab.json")!.content!;
    // From the first host's lab network: its own node at the lab address, the other's on its host's address.
    const lab = JSON.parse(file("viewer")) as { nodes: { node: string; rpcHostAddress: string; host: string }[] };
    expect(lab.nodes.map(({ node, rpcHostAddress, host }) => ({ node, rpcHostAddress, host }))).toEqual([
      { node: "a", rpcHostAddress: "10.88.0.10:18443", host: "h1" },
      { node: "b", rpcHostAddress: "192.168.50.12:31001", host: "h2" },
    ]);
    expect(file("exporter")).toBe(file("viewer"));
    const exporterConfig = JSON.parse(plan.services.find((s) => s.service === "exporter")!.files.find((f) => f.path === "/etc/netlab/exporter.json")!.content!);
    expect(exporterConfig).toMatchObject({ discovery: "lab-file", labFile: "/etc/netlab/lab.json" });
    expect(plan.services.find((s) => s.service === "viewer")!.mounts).toEqual([]);
  });

  it("names the node no host can take, and bad host settings", () => {
    expect(() => onHosts("chain: regtest\nnodes:\n  - { name: a, host: h9 }\n")).toThrow(/hosts\.yaml: nodes\[0\]\.host: no stack host can take node "a" \(wants host "h9"\); hosts: h1, h2 \(zone=b\), h3 \(zone=c\)/);
    expect(() => onHosts("chain: regtest\nnodes:\n  - { name: a, hostLabels: { zone: z } }\n")).toThrow(/nodes\[0\]\.host: no stack host can take node "a" \(wants label zone=z\)/);
    expect(() => onHosts("chain: regtest\nnodes:\n  - { name: a, host: h3 }\n  - { name: b, host: h3 }\n  - { name: c, host: h3 }\n")).toThrow(/nodes\[2\]\.host: no stack host can take node "c"/);
    expect(() => onHosts("chain: regtest\nnodes:\n  - { name: a }\n", { hosts: [{ name: "H1", address: "x", docker: "http://h" }] })).toThrow(
      /hosts\[0\]\.name "H1" must be lowercase.*hosts\[0\]\.docker "http:\/\/h" must be a unix:\/\/, ssh:\/\/ or tcp:\/\/ Docker endpoint.*hosts\[0\]\.address "x" must be the IPv4 address/,
    );
  });
});
