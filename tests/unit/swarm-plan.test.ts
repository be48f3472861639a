// Swarm mode in the pure plan: each node a one-replica service pinned by a node label, an attachable overlay,
// edges by service name, commands that find the task wherever it runs, nothing of RPC published.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildPlan, planJson } from "../../src/plan/plan.js";
import { rpcAuthLine } from "../../src/plan/rpcauth.js";
import { stackSettings, type StackSettings } from "../../src/plan/stack.js";
import { parseTopology } from "../../src/topology/load.js";

const RPCAUTH = rpcAuthLine("netlab", "swarm-plan-password", "abcdef0123456789");
const HOSTS = [
  { name: "h1", address: "192.168.50.11" },
  { name: "h2", docker: "ssh://lab@192.168.50.12", address: "192.168.50.12", swarmNode: "worker-2" },
  { name: "h3", docker: "tcp://192.168.50.13:2376", address: "192.168.50.13" },
];
const RING = "chain: regtest\ngenerator: { model: ring, size: 4, miners: 1 }\n";
const settings = (extra: Partial<StackSettings> = {}) => stackSettings("lab3", { rpcAuth: RPCAUTH, subnet: "10.88.0.0/24", portBase: 31000, hosts: HOSTS, mode: "swarm", ...extra });
const swarmPlan = (text = RING, extra: Partial<StackSettings> = {}) => buildPlan(parseTopology(text, "swarm.yaml"), settings(extra));

describe("a lab in swarm mode", () => {
  it("runs each node as a one-replica service pinned to its planned host by that host's node label", () => {
    const plan = swarmPlan();
    expect(plan.nodes.map((n) => `${n.node}@${n.host}`)).toEqual(["n1@h1", "n2@h2", "n3@h3", "n4@h1"]);
    expect(plan.nodes[1]!.swarm).toEqual({
      service: "lab3-n2",
      constraints: ["node.labels.netlab.takes.h2==true"],
      restart: { condition: "any", delay: "1s", maxAttempts: 0 },
      endpointMode: "dnsrr",
      publishMode: "host",
    });
    expect(plan.swarm).toEqual({
      manager: "h1",
      nodes: [
        // The labels go on through the manager (h1: the local engine), by the Swarm node's hostname.
        { host: "h1", hostname: "h1", label: "netlab.takes.h1", create: "docker node update --label-add netlab.takes.h1=true h1", delete: "docker node update --label-rm netlab.takes.h1 h1" },
        { host: "h2", hostname: "worker-2", label: "netlab.takes.h2", create: "docker node update --label-add netlab.takes.h2=true worker-2", delete: "docker node update --label-rm netlab.takes.h2 worker-2" },
        { host: "h3", hostname: "h3", label: "netlab.takes.h3", create: "docker node update --label-add netlab.takes.h3=true h3", delete: "docker node update --label-rm netlab.takes.h3 h3" },
      ],
    });
    expect(plan.network).toEqual({ name: "lab3-net", subnet: "10.88.0.0/24", gateway: "10.88.0.1", driver: "overlay", attachable: true, labels: { "netlab.stack": "lab3" } });
    expect(plan.nodes[1]).toMatchObject({ volume: { name: "lab3-n2-data", containerPath: "/home/bitcoin/.bitcoin" }, labels: { "netlab.stack": "lab3", "netlab.node": "n2" } });
  });

  it("reaches nodes by service name: edges, startup -addnode for outbound edges, RPC unpublished on a regtest lab", () => {
    const plan = swarmPlan();
    const n2 = plan.nodes[1]!;
    expect(n2).toMatchObject({ ip: "lab3-n2", p2pAddress: "lab3-n2:18444", rpcHostAddress: "lab3-n2:18443", p2pHostAddress: undefined, ports: [] });
    const outbound = plan.edges.filter((e) => e.from === "n2").map((e) => `-addnode=${e.target}`);
    expect(outbound.length).toBeGreaterThan(0);
    expect(n2.command.filter((arg) => arg.startsWith("-addnode="))).toEqual(outbound);
    // Peers arrive from the overlay only: no host addresses in the whitelist.
    expect(n2.command.filter((arg) => arg.startsWith("-whitelist="))).toEqual(["-whitelist=in,out,noban@10.88.0.0/24"]);
    const edge = plan.edges.find((e) => e.from === "n2")!;
    expect(edge.target).toMatch(/^lab3-n\d:18444$/);
    expect(edge.create).toBe(
      "for d in 'docker -H ssh://lab@192.168.50.12' 'docker' 'docker -H tcp://192.168.50.13:2376'; do " +
        "c=$($d ps -q -f label=com.docker.swarm.service.name=lab3-n2 2>/dev/null | head -n 1); " +
        `if [ -n "$c" ]; then exec $d exec "$c" netlab-edge add ${edge.target}; fi; done; ` +
        'echo "no running task of service lab3-n2 on any host" >&2; exit 1',
    );
    expect(edge.delete).toContain(`netlab-edge remove ${edge.target}`);
    expect(plan.bootstrap.at(-1)!.create).toContain("label=com.docker.swarm.service.name=lab3-n1 ");
  });

  it("execs in the first host that runs the task, skipping hosts that do not answer", () => {
    const plan = swarmPlan();
    // A stand-in `docker` on PATH: h2 does not answer, the local engine has no task, h3 runs it.
    const bin = mkdtempSync(join(tmpdir(), "netlab-fake-docker-"));
    writeFileSync(join(bin, "docker"), '#!/bin/sh\ncase "$*" in *ssh://*) exit 1 ;; *tcp://*"ps -q"*) echo c3 ;; *"ps -q"*) ;; *) echo "ran: $*" ;; esac\n', { mode: 0o755 });
    const edge = plan.edges.find((e) => e.from === "n2")!;
    const out = execFileSync("sh", ["-c", edge.create], { encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(out.trim()).toBe(`ran: -H tcp://192.168.50.13:2376 exec c3 netlab-edge add ${edge.target}`);
    rmSync(bin, { recursive: true });
  });

  it("publishes P2P in host mode only for public-chain nodes that accept peers, and needs every host's images everywhere", () => {
    const plan = swarmPlan("chain: testnet\nnodes:\n  - { name: a }\n  - { name: b, options: { listen: 0 } }\n");
    expect(plan.nodes[0]).toMatchObject({ ports: [{ internal: 18333, external: 31500, ip: "0.0.0.0", protocol: "tcp" }], p2pHostAddress: "192.168.50.11:31500" });
    expect(plan.nodes[1]!.ports).toEqual([]);
    expect(plan.hosts.map((h) => h.name)).toEqual(["h1", "h2", "h3"]);
    expect(plan.hosts.slice(1).map((h) => h.images)).toEqual([["bitcoin-netlab/bitcoind:knots-29.4"], ["bitcoin-netlab/bitcoind:knots-29.4"]]);
  });

  it("addresses the services by name on the overlay; the viewer reads the nodes from a lab file and its password from a file", () => {
    const plan = swarmPlan();
    expect(plan.services.map((s) => s.ip)).toEqual(["lab3-graphite", "lab3-grafana", "lab3-exporter", "lab3-viewer"]);
    const viewer = plan.services.find((s) => s.service === "viewer")!;
    expect(viewer.entrypoint).toEqual([
      "sh",
      "-c",
      'NETLAB_RPC_PASSWORD="$(cat /run/secrets/rpc-password)" exec node /opt/netlab/netlab.cjs viewer --stack lab3 --plan /etc/netlab/lab.json --host 0.0.0.0 --port 8088 --grafana http://127.0.0.1:31991',
    ]);
    expect(viewer.mounts).toEqual([]);
    const lab = JSON.parse(viewer.files.find((f) => f.path === "/etc/netlab/lab.json")!.content!);
    expect(lab.nodes.map((n: { node: string; host: string; rpcHostAddress: string }) => `${n.node}@${n.host} ${n.rpcHostAddress}`)).toEqual(["n1@h1 lab3-n1:18443", "n2@h2 lab3-n2:18443", "n3@h3 lab3-n3:18443", "n4@h1 lab3-n4:18443"]);
    expect(planJson(plan)).not.toContain("swarm-plan-password");
  });

  it("is byte-identical for the same input, and refuses swarm mode without hosts or with a bad node name", () => {
    expect(planJson(swarmPlan())).toBe(planJson(swarmPlan()));
    expect(() => stackSettings("lab3", { rpcAuth: RPCAUTH, subnet: "10.88.0.0/24", portBase: 31000, mode: "swarm" })).toThrow(/mode "swarm" needs hosts: the first host is the Swarm manager/);
    expect(() => settings({ mode: "kubernetes" as never })).toThrow(/mode "kubernetes" must be "containers" or "swarm"/);
    expect(() => settings({ hosts: [{ name: "h1", address: "10.0.0.1", swarmNode: "bad name" }] })).toThrow(/hosts\[0\]\.swarmNode "bad name" must be a hostname/);
  });

  it("refuses link conditions, naming the stack, since a Swarm task has no relay or shaping", () => {
    expect(() => swarmPlan(`${RING}defaults:\n  link: { latency: 50ms }\n`)).toThrow(/link conditions are not supported in swarm mode \(stack "lab3"\)/);
  });
});
