// Link conditions in the plan: which edge gets which conditions, what each node's container is told to do,
// and that nodes without conditions are planned exactly as before.
import { describe, expect, it } from "vitest";
import { buildPlan } from "../../src/plan/plan.js";
import { rpcAuthLine } from "../../src/plan/rpcauth.js";
import { stackSettings } from "../../src/plan/stack.js";
import { parseTopology } from "../../src/topology/load.js";

const settings = stackSettings("dev", { rpcAuth: rpcAuthLine("netlab", "link-plan-test", "abcdef0123456789") });
const plan = (text: string) => buildPlan(parseTopology(text, "test.yaml"), settings);
const LINE = "chain: regtest\nnodes: [{ name: n1, role: miner }, { name: n2 }, { name: n3 }, { name: n4 }]\n";
const edges = (...lines: string[]) => `edges:\n${lines.map((line) => `  - ${line}`).join("\n")}\n`;

describe("link conditions in the plan", () => {
  it("plans a latency edge through a relay in the dialling node, and leaves other nodes as they were", () => {
    const plain = plan(LINE + edges("{ from: n1, to: n2 }", "{ from: n2, to: n3 }", "{ from: n3, to: n4 }"));
    const slow = plan(LINE + edges("{ from: n1, to: n2 }", "{ from: n2, to: n3, latency: 100ms }", "{ from: n3, to: n4 }"));
    expect(slow.edges[1]).toEqual({
      name: "n2-to-n3",
      from: "n2",
      to: "n3",
      target: "127.0.0.1:40002",
      link: { latencyMs: 100 },
      relayTarget: "10.77.1.12:18444",
      create: "docker exec dev-n2 netlab-edge add 127.0.0.1:40002",
      delete: "docker exec dev-n2 netlab-edge remove 127.0.0.1:40002",
    });
    expect([slow.edges[0], slow.edges[2]]).toEqual([plain.edges[0], plain.edges[2]]);
    expect([slow.nodes[0], slow.nodes[3]]).toEqual([plain.nodes[0], plain.nodes[3]]);

    const n2 = slow.nodes[1]!;
    expect(n2.capAdd).toEqual(["NET_ADMIN"]);
    expect(n2.labels["netlab.relays"]).toBe("127.0.0.1:40002=n3");
    expect(n2.command).toContain("-whitelist=in,out,noban@127.0.0.1/32");
    expect(n2.link).toEqual({
      relays: [{ peer: "n3", port: 40002, target: "10.77.1.12:18444", latencyMs: 100, jitterMs: 0 }],
      netem: [
        ["tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb"],
        ["tc", "class", "add", "dev", "eth0", "parent", "1:", "classid", "1:12", "htb", "rate", "10000000kbit", "ceil", "10000000kbit"],
        ["tc", "qdisc", "add", "dev", "eth0", "parent", "1:12", "handle", "12:", "netem", "delay", "100ms"],
        ["tc", "filter", "add", "dev", "eth0", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip", "dst", "10.77.1.12/32", "flowid", "1:12"],
      ],
      fallback: [],
    });
    expect(n2.env).toEqual(["NETLAB_STACK=dev", "NETLAB_NODE=n2", `NETLAB_LINK=${JSON.stringify(n2.link)}`]);
    // With netem the target delays its own egress towards the dialler; without, the relay does both ways.
    const n3 = slow.nodes[2]!;
    expect(n3.link?.relays).toEqual([]);
    expect(n3.link?.fallback).toEqual([]);
    expect(n3.link?.netem[2]).toEqual(["tc", "qdisc", "add", "dev", "eth0", "parent", "1:11", "handle", "11:", "netem", "delay", "100ms"]);
    expect(n3.command).not.toContain("-whitelist=in,out,noban@127.0.0.1/32");
  });

  it("shapes bandwidth with tbf at both ends and drops packets with iptables at the dialling end, without a relay", () => {
    const p = plan(LINE + edges("{ from: n1, to: n2, bandwidth: 500kbit, loss: 2% }"));
    expect(p.edges[0]!.target).toBe("10.77.1.11:18444");
    expect(p.edges[0]!.relayTarget).toBeUndefined();
    expect(p.nodes[0]!.link).toEqual({
      relays: [],
      netem: expect.any(Array),
      fallback: [
        ["tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb"],
        ["tc", "class", "add", "dev", "eth0", "parent", "1:", "classid", "1:11", "htb", "rate", "500kbit", "ceil", "500kbit"],
        ["tc", "qdisc", "add", "dev", "eth0", "parent", "1:11", "handle", "11:", "tbf", "rate", "500kbit", "burst", "4096", "latency", "500ms"],
        ["tc", "filter", "add", "dev", "eth0", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip", "dst", "10.77.1.11/32", "flowid", "1:11"],
        ["iptables", "-w", "-A", "OUTPUT", "-d", "10.77.1.11/32", "-p", "tcp", "--dport", "18444", "-m", "statistic", "--mode", "random", "--probability", "0.02", "-j", "DROP"],
        ["iptables", "-w", "-A", "INPUT", "-s", "10.77.1.11/32", "-p", "tcp", "--sport", "18444", "-m", "statistic", "--mode", "random", "--probability", "0.02", "-j", "DROP"],
      ],
    });
    expect(p.nodes[1]!.link?.fallback.map((argv) => argv.slice(0, 4).join(" "))).toEqual(["tc qdisc add dev", "tc class add dev", "tc qdisc add dev", "tc filter add dev"]);
    expect(p.nodes[1]!.link?.fallback[3]).toContain("10.77.1.10/32");
    expect(p.nodes[1]!.labels["netlab.relays"]).toBeUndefined();
    expect(p.nodes[2]!.capAdd).toBeUndefined();
  });

  it("takes each field from the edge, else the dialling node's link, else the target's, else the defaults", () => {
    const p = plan(
      "chain: regtest\ndefaults: { link: { loss: 1% } }\n" +
        "nodes:\n  - { name: a, link: { latency: 50ms, bandwidth: 1mbit } }\n  - { name: b, link: { latency: 80ms, jitter: 5ms } }\n  - { name: c }\n" +
        edges("{ from: a, to: b, bandwidth: 2mbit }", "{ from: c, to: b }", "{ from: c, to: a, latency: 10ms }"),
    );
    expect(p.edges.map((e) => e.link)).toEqual([
      { latencyMs: 50, jitterMs: 5, lossPercent: 1, bandwidthKbit: 2000 },
      { latencyMs: 80, jitterMs: 5, lossPercent: 1 },
      { latencyMs: 10, lossPercent: 1, bandwidthKbit: 1000 },
    ]);
  });

  it("applies a generator's defaults link to every generated edge", () => {
    const p = plan("chain: regtest\ngenerator: { model: ring, size: 4 }\ndefaults: { link: { latency: 20ms } }\n");
    expect(p.edges).toHaveLength(4);
    for (const edge of p.edges) {
      expect(edge.link).toEqual({ latencyMs: 20 });
      expect(edge.target).toBe(`127.0.0.1:${40000 + p.nodes.findIndex((n) => n.node === edge.to)}`);
    }
    expect(p.nodes.every((n) => n.capAdd?.[0] === "NET_ADMIN")).toBe(true);
  });

  it("keeps a node's relay ports when nodes are added", () => {
    const before = plan(LINE + edges("{ from: n1, to: n3, latency: 5ms }"));
    const after = plan(LINE.replace("{ name: n4 }", "{ name: n4 }, { name: n5 }") + edges("{ from: n1, to: n3, latency: 5ms }", "{ from: n1, to: n5, latency: 5ms }"));
    expect(after.edges[0]).toEqual(before.edges[0]);
    expect(after.nodes[0]!.link?.relays[0]).toEqual(before.nodes[0]!.link?.relays[0]);
    expect(after.edges[1]!.target).toBe("127.0.0.1:40004");
  });
});
