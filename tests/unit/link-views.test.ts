// Relayed edges as the viewer and the experiments see them: a peer at 127.0.0.1:<port> in a node's
// getpeerinfo or getaddednodeinfo is the node the plan put behind that relay, not an external peer.
import { describe, expect, it } from "vitest";
import { edgesFromAddedNodes as experimentEdges } from "../../src/experiments/graph.js";
import { propagationSummary, renderPropagationHtml } from "../../src/experiments/propagation-report.js";
import { analysePropagation } from "../../src/experiments/propagation-analysis.js";
import { buildPlan } from "../../src/plan/plan.js";
import { labOutputs } from "../../src/plan/outputs.js";
import { rpcAuthLine } from "../../src/plan/rpcauth.js";
import { stackSettings } from "../../src/plan/stack.js";
import { parseTopology } from "../../src/topology/load.js";
import { describeOutputs, linkLabels } from "../../viewer/discover.js";
import { buildGraph, edgesFromAddedNodes } from "../../viewer/graph.js";
import type { PeerInfo } from "../../viewer/types.js";

const plan = buildPlan(
  parseTopology("chain: regtest\nnodes: [{ name: a, role: miner }, { name: b }, { name: c }]\nedges:\n  - { from: a, to: b, latency: 100ms, loss: 1% }\n  - { from: b, to: c }\n", "t.yaml"),
  stackSettings("dev", { rpcAuth: rpcAuthLine("netlab", "views", "abcdef0123456789") }),
);
const peer = (addr: string, inbound: boolean): PeerInfo => ({ id: 0, addr, inbound, connection_type: "manual", bytessent: 1, bytesrecv: 1, subver: "/x/" });

describe("relayed edges in views of the lab", () => {
  it("the viewer maps relay addresses to nodes, from stack outputs and from container labels alike", () => {
    const fromOutputs = describeOutputs({ ...labOutputs(plan), rpc: { user: "netlab", password: "x" } });
    const a = plan.nodes[0]!;
    expect(linkLabels(a.labels)).toEqual({ relays: { "127.0.0.1:40001": "b" }, links: { b: { latencyMs: 100, lossPercent: 1 } } });
    expect(fromOutputs.nodes[0]).toMatchObject(linkLabels(a.labels));
    expect(fromOutputs.nodes[1]!.relays).toBeUndefined();

    const snapshots = [
      { name: "a", up: true, peers: [peer("127.0.0.1:40001", false)], addedNodes: ["127.0.0.1:40001"] },
      { name: "b", up: true, peers: [peer(`${a.ip}:51234`, true), peer("10.77.1.12:18444", false)], addedNodes: ["10.77.1.12:18444"] },
      { name: "c", up: true, peers: [peer("10.77.1.11:40000", true)], addedNodes: [] },
    ];
    expect(edgesFromAddedNodes(fromOutputs, snapshots)).toEqual([{ from: "a", to: "b" }, { from: "b", to: "c" }]);
    const graph = buildGraph(fromOutputs, snapshots, fromOutputs.declaredEdges, new Date(0));
    expect(graph.edges.map((e) => `${e.source}->${e.target} ${e.status}`).sort()).toEqual(["a->b connected", "b->c connected"]);
    expect(graph.nodes.some((n) => n.kind === "external")).toBe(false);
    expect(graph.edges.find((e) => e.source === "a")?.link).toBe("latency 100ms, loss 1%");
  });

  it("the experiments resolve relayed added nodes and carry the edge's conditions into the report", () => {
    const nodes = plan.nodes.map((n) => ({ name: n.node, ip: n.ip, p2p: n.p2pAddress, ...linkLabels(n.labels) }));
    const edges = experimentEdges(nodes, { a: ["127.0.0.1:40001"], b: ["10.77.1.12:18444"] });
    expect(edges).toEqual([{ from: "a", to: "b", link: { latencyMs: 100, lossPercent: 1 } }, { from: "b", to: "c" }]);
    const result = analysePropagation({
      stack: "dev", chain: "regtest", startedAt: "x", finishedAt: "y",
      method: { name: "zmq", description: "zmq", resolutionMs: 1 },
      settings: { blocks: 1, txs: 0, miner: "a", seed: 1, timeoutMs: 1000 },
      nodes: nodes.map((n) => ({ name: n.name, role: "relay" })),
      edges,
      observations: [{ kind: "block", id: "f".repeat(64), origin: "a", submittedAt: 0, delays: { a: 1, b: 105, c: 107 } }],
    });
    expect(propagationSummary(result)).toContain("link conditions:\n  a → b: latency 100ms, loss 1%\n");
    expect(renderPropagationHtml(result)).toContain("<h2>Link conditions</h2>");
  });
});

describe("relayed edges in the exporter", () => {
  it("labels a relayed peer's ping with the node behind the relay", async () => {
    const { peerLabel } = await import("../../src/exporter/metrics.js");
    const labNodes = new Map([["10.77.1.11", "b"], ["127.0.0.1:40001", "b"]]);
    expect(peerLabel("127.0.0.1:40001", labNodes)).toBe("b");
    expect(peerLabel("10.77.1.11:18444", labNodes)).toBe("b");
  });
});

describe("relayed edges in the partition experiment", () => {
  it("cuts an edge dialled through a relay: its added node and its live connection", async () => {
    const { planCut } = await import("../../src/experiments/partition-analysis.js");
    const nodes = plan.nodes.map((n) => ({ name: n.node, ip: n.ip, p2p: n.p2pAddress, ...linkLabels(n.labels) }));
    const cut = planCut(nodes, new Set(["a"]), { a: ["127.0.0.1:40001"], b: ["10.77.1.12:18444"] }, { a: [{ id: 7, addr: "127.0.0.1:40001", inbound: false }] });
    expect(cut.removeAdded).toEqual([{ node: "a", target: "127.0.0.1:40001", peer: "b" }]);
    expect(cut.disconnect).toEqual([{ node: "a", id: 7, addr: "127.0.0.1:40001", peer: "b", inbound: false }]);
  });
});
