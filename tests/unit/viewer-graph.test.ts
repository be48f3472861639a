// The graph logic on its own: external peers, declared-vs-live differences and tip agreement.
import { describe, expect, it } from "vitest";
import { buildGraph, edgesFromAddedNodes, hostOf } from "../../viewer/graph.js";
import type { LabDescription, NodeSnapshot, PeerInfo } from "../../viewer/types.js";

const node = (name: string, ip: string) => ({ name, container: `s-${name}`, ip, p2p: `${ip}:18444`, role: "relay", implementation: "knots", version: "29.4", rpcUrl: "http://127.0.0.1:1", host: "local" });
const lab: LabDescription = {
  stack: "s",
  chain: "regtest",
  source: "pulumi",
  nodes: [node("a", "10.0.0.10"), node("b", "10.0.0.11"), node("c", "10.0.0.12")],
  declaredEdges: [{ from: "b", to: "a" }, { from: "c", to: "b" }],
};
const peer = (addr: string, inbound: boolean, type = "manual"): PeerInfo => ({ id: 0, addr, inbound, connection_type: type, transport_protocol_type: "v2", bytessent: 100, bytesrecv: 50, subver: "/x/" });
const up = (name: string, hash: string, peers: PeerInfo[], addedNodes: string[] = []): NodeSnapshot => ({ name, up: true, blocks: 5, headers: 5, bestBlockHash: hash, peers, addedNodes });

describe("the viewer's graph", () => {
  it("parses peer addresses", () => {
    expect(hostOf("10.0.0.5:18444")).toBe("10.0.0.5");
    expect(hostOf("[fd00::1]:8333")).toBe("fd00::1");
  });

  it("draws outbound connections, external peers in both directions, missing and undeclared edges", () => {
    const graph = buildGraph(
      lab,
      [
        up("a", "h1", [peer("10.0.0.11:40000", true), peer("203.0.113.9:8333", false, "outbound-full-relay"), peer("198.51.100.7:51000", true)]),
        up("b", "h1", [peer("10.0.0.10:18444", false), peer("10.0.0.12:18444", false, "outbound-full-relay")]),
        { name: "c", up: false, error: "connect ECONNREFUSED" },
      ],
      lab.declaredEdges,
      new Date(0),
    );
    expect(graph.edges.map((e) => `${e.source}->${e.target} ${e.status}`).sort()).toEqual([
      "a->external:203.0.113.9 connected",
      "b->a connected",
      "b->c undeclared",
      "c->b declared-missing",
      "external:198.51.100.7->a connected",
    ]);
    expect(graph.missing).toEqual([{ from: "c", to: "b" }]);
    expect(graph.undeclared).toEqual([{ from: "b", to: "c", connectionType: "outbound-full-relay" }]);
    expect(graph.nodes.find((n) => n.id === "c")).toMatchObject({ up: false, error: "connect ECONNREFUSED" });
    expect(graph.nodes.find((n) => n.id === "a")).toMatchObject({ degree: 3, bytesSent: 300, bytesRecv: 150, host: "local" });
    expect(graph.tips).toEqual({ agree: true, byHash: [{ hash: "h1", height: 5, nodes: ["a", "b"] }] });
  });

  it("reports which nodes disagree on the tip", () => {
    const graph = buildGraph(lab, [up("a", "h1", []), up("b", "h1", []), { ...up("c", "h2", []), blocks: 6 }], [], new Date(0));
    expect(graph.tips.agree).toBe(false);
    expect(graph.tips.byHash.map((t) => [t.hash, t.nodes])).toEqual([["h1", ["a", "b"]], ["h2", ["c"]]]);
  });

  it("reads declared edges from the nodes' addnode lists when there are no stack outputs", () => {
    const snapshots = [up("b", "h", [], ["10.0.0.10:18444"]), up("c", "h", [], ["10.0.0.11:18444", "192.0.2.1:18444"])];
    expect(edgesFromAddedNodes(lab, snapshots)).toEqual([{ from: "b", to: "a" }, { from: "c", to: "b" }]);
  });
});
