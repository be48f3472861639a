// The experiments' pure parts: statistics, the lab graph, the propagation analysis and report, the partition's
// cut plan and reorg findings, and the HTML they render.
import { describe, expect, it } from "vitest";
import { components, crossingEdges, edgesFromAddedNodes, hopDistances, hostOf, type Edge, type NodeAddress } from "../../src/experiments/graph.js";
import { colour, escapeHtml, formatMs, heatmapSvg, logScale, niceCeil } from "../../src/experiments/html.js";
import { crossingConnections, forkHeight, parseGroup, planCut, summariseReorg, type Header } from "../../src/experiments/partition-analysis.js";
import { partitionSummary, renderPartitionHtml, type PartitionResult } from "../../src/experiments/partition-report.js";
import { analysePropagation, type Observation, type PropagationInput } from "../../src/experiments/propagation-analysis.js";
import { itemLabels, propagationSummary, renderPropagationHtml } from "../../src/experiments/propagation-report.js";
import { cdfPoints, distribution, quantile, roundMs, slope, timeToFraction } from "../../src/experiments/stats.js";
import { defaultOutDir } from "../../src/experiments/util.js";

const ring = (size: number): Edge[] => Array.from({ length: size }, (_, i) => ({ from: `n${((i + 1) % size) + 1}`, to: `n${i + 1}` }));
const names = (size: number) => Array.from({ length: size }, (_, i) => `n${i + 1}`);
const addresses = (size: number): NodeAddress[] => names(size).map((name, i) => ({ name, ip: `10.0.0.${10 + i}`, p2p: `10.0.0.${10 + i}:18444` }));

/** Content outside the page's own markup that a browser would fetch. */
function externalReferences(html: string): string[] {
  const withoutNamespaces = html.replaceAll('xmlns="http://www.w3.org/2000/svg"', "");
  return [...withoutNamespaces.matchAll(/(src|href)\s*=|url\((?!#)|https?:\/\/|@import/g)].map((m) => m[0]);
}

describe("statistics", () => {
  it("interpolates quantiles and summarises a distribution", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10], 0.9)).toBe(10);
    expect(quantile([0, 10], 0.9)).toBeCloseTo(9);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
    expect(distribution([5, 1, 3])).toEqual({ count: 3, min: 1, p50: 3, p90: 4.6, max: 5, mean: 3 });
    expect(distribution([])).toBeUndefined();
  });

  it("times the k-th node to see an item, counting nodes that never did", () => {
    // 4 nodes: 50 % is the 2nd, 90 % and 100 % the 4th.
    expect(timeToFraction([0, 5, 2, 9], 0.5)).toBe(2);
    expect(timeToFraction([0, 5, 2, 9], 0.9)).toBe(9);
    expect(timeToFraction([0, 5, 2, 9], 1)).toBe(9);
    // 6 nodes: 50 % is exactly the 3rd (no rounding up past it).
    expect(timeToFraction([1, 2, 3, 4, 5, 6], 0.5)).toBe(3);
    expect(timeToFraction([1, null, 3, null], 0.5)).toBe(3);
    expect(timeToFraction([1, null, 3, null], 1)).toBeNull();
    expect(timeToFraction([], 0.5)).toBeNull();
  });

  it("gives CDF steps, a least-squares slope and 0.1 ms rounding", () => {
    expect(cdfPoints([3, 1, 1, 2])).toEqual([
      [1, 0.5],
      [2, 0.75],
      [3, 1],
    ]);
    expect(slope([[0, 1], [1, 3], [2, 5]])).toBeCloseTo(2);
    expect(slope([[1, 1], [1, 2]])).toBeUndefined();
    expect(roundMs(1.26)).toBe(1.3);
  });
});

describe("the lab graph", () => {
  it("resolves added nodes to lab nodes, skipping unknown and duplicate entries", () => {
    expect(hostOf("10.0.0.5:18444")).toBe("10.0.0.5");
    expect(hostOf("[fd00::1]:8333")).toBe("fd00::1");
    const edges = edgesFromAddedNodes(addresses(3), { n2: ["10.0.0.10:18444", "10.0.0.10:18444", "203.0.113.1:18444"], n3: ["10.0.0.11"] });
    expect(edges).toEqual([
      { from: "n2", to: "n1" },
      { from: "n3", to: "n2" },
    ]);
  });

  it("counts hops over edges in either direction, null where unreachable", () => {
    expect(hopDistances(names(6), ring(6), "n1")).toEqual({ n1: 0, n2: 1, n3: 2, n4: 3, n5: 2, n6: 1 });
    expect(hopDistances(["a", "b", "c"], [{ from: "b", to: "a" }], "a")).toEqual({ a: 0, b: 1, c: null });
    expect(hopDistances(["a"], [], "zz")).toEqual({ a: null });
  });

  it("finds components and the edges across a cut", () => {
    expect(components(["n1", "n5", "n6"], ring(6))).toEqual([["n1", "n5", "n6"]]);
    expect(components(["n1", "n3"], ring(6))).toEqual([["n1"], ["n3"]]);
    expect(crossingEdges(ring(6), new Set(["n1", "n5", "n6"]))).toEqual([
      { from: "n2", to: "n1" },
      { from: "n5", to: "n4" },
    ]);
  });
});

function propagationInput(observations: Observation[]): PropagationInput {
  return {
    stack: "s",
    chain: "regtest",
    startedAt: "2026-12-04T00:00:00.000Z",
    finishedAt: "2026-12-04T00:00:01.000Z",
    method: { name: "zmq", description: "test", resolutionMs: 1 },
    settings: { blocks: 1, txs: 1, miner: "random", seed: 1, timeoutMs: 1000 },
    nodes: names(4).map((name, i) => ({ name, role: i === 0 ? "miner" : "relay" })),
    // A line n1 - n2 - n3 - n4.
    edges: [
      { from: "n2", to: "n1" },
      { from: "n3", to: "n2" },
      { from: "n4", to: "n3" },
    ],
    observations,
  };
}

const observations: Observation[] = [
  { kind: "block", id: "b".repeat(64), origin: "n1", submittedAt: Date.UTC(2026, 11, 4), delays: { n1: 4, n2: 6.04, n3: 8, n4: 10 } },
  { kind: "tx", id: "c".repeat(64), origin: "n4", submittedAt: Date.UTC(2026, 11, 4), delays: { n1: null, n2: 100, n3: 50, n4: 1 } },
];

describe("the propagation analysis", () => {
  const result = analysePropagation(propagationInput(observations));

  it("gives each item its delays, hop distances from its origin and times to 50/90/100 %", () => {
    const [block, tx] = result.items;
    expect(block).toMatchObject({ kind: "block", origin: "n1", reached: 4, firstSeenMs: { n1: 4, n2: 6, n3: 8, n4: 10 }, hops: { n1: 0, n2: 1, n3: 2, n4: 3 } });
    expect(block!.timeToMs).toEqual({ p50: 6, p90: 10, p100: 10 });
    expect(tx).toMatchObject({ reached: 3, hops: { n4: 0, n3: 1, n2: 2, n1: 3 }, timeToMs: { p50: 50, p90: null, p100: null } });
    expect(block!.submittedAt).toBe("2026-12-04T00:00:00.000Z");
  });

  it("summarises per kind: delays by hop, the fitted cost of a hop, what was never seen", () => {
    expect(result.summary.block.perHop.map((h) => [h.hops, h.p50])).toEqual([
      [0, 4],
      [1, 6],
      [2, 8],
      [3, 10],
    ]);
    expect(result.summary.block.msPerHop).toBe(2);
    expect(result.summary.block.missing).toBe(0);
    expect(result.summary.tx.missing).toBe(1);
    expect(result.summary.tx.delays).toMatchObject({ count: 3, min: 1, max: 100 });
    expect(result.summary.block.timeToMs.p100).toMatchObject({ count: 1, p50: 10 });
  });

  it("renders a self-contained page with the heat map, the CDF and the tables", () => {
    const html = renderPropagationHtml(result);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg id="heatmap"');
    expect(html).toContain('<svg id="cdf"');
    expect(externalReferences(html)).toEqual([]);
    const heatmap = html.slice(html.indexOf('<svg id="heatmap"'), html.indexOf("</svg>", html.indexOf('<svg id="heatmap"')));
    // 4 nodes × 2 items, plus the legend's three keys.
    expect(heatmap.match(/<rect /g)).toHaveLength(4 * 2 + 3);
    expect(heatmap).toContain("n1 · t1 tx cccccccccccc… from n4 · 3 hops · not seen");
    expect(heatmap).toContain("n2 · b1 block bbbbbbbbbbbb… from n1 · 1 hop · 6.0 ms");
    expect(html).toContain(`<td class="text">${"b".repeat(64)}</td>`);
  });

  it("prints one line per item and the per-hop medians", () => {
    const text = propagationSummary(result);
    expect(text).toContain("propagation on stack s: 4 nodes, 3 declared edges, method zmq");
    expect(text).toMatch(/b1\s+bbbbbbbbbbbb…\s+n1\s+4\/4\s+6\.0\s+10\s+10/);
    expect(text).toMatch(/t1\s+cccccccccccc…\s+n4\s+3\/4\s+50\s+–\s+–/);
    expect(text).toContain("block  0: 4.0 (4.0)  1: 6.0 (6.0)  2: 8.0 (8.0)  3: 10 (10)   fit 2.00 ms/hop");
    expect(itemLabels(result.items)).toEqual(["b1", "t1"]);
  });
});

describe("the partition's cut and findings", () => {
  const lab = addresses(6);
  const group = new Set(["n1", "n5", "n6"]);
  // Ring edges as added nodes: n2 dials n1, n3 dials n2, …, n1 dials n6 (one across-the-cut edge on each side).
  const added = { n1: ["10.0.0.15:18444"], n2: ["10.0.0.10:18444"], n3: ["10.0.0.11:18444"], n4: ["10.0.0.12:18444"], n5: ["10.0.0.13:18444"], n6: ["10.0.0.14:18444"] };
  const peers = {
    n1: [
      { id: 1, addr: "10.0.0.11:40000", inbound: true },
      { id: 2, addr: "10.0.0.15:18444", inbound: false },
    ],
    n2: [{ id: 7, addr: "10.0.0.10:18444", inbound: false }],
    n3: [],
    n4: [{ id: 3, addr: "10.0.0.14:51000", inbound: true }, { id: 4, addr: "203.0.113.9:18444", inbound: false }],
    n5: [{ id: 9, addr: "10.0.0.13:18444", inbound: false }],
    n6: [],
  };

  it("removes the added nodes across the cut on both sides, bans every pair, disconnects what is live", () => {
    const plan = planCut(lab, group, added, peers);
    expect(plan.removeAdded).toEqual([
      { node: "n2", target: "10.0.0.10:18444", peer: "n1" },
      { node: "n5", target: "10.0.0.13:18444", peer: "n4" },
    ]);
    expect(plan.bans).toHaveLength(2 * 3 * 3);
    expect(plan.bans).toContainEqual({ node: "n1", ip: "10.0.0.11", peer: "n2" });
    expect(plan.bans).toContainEqual({ node: "n2", ip: "10.0.0.10", peer: "n1" });
    expect(plan.bans.every((ban) => group.has(ban.node) !== group.has(ban.peer))).toBe(true);
    // Inbound peers are matched by address (their port is ephemeral); external peers are left alone.
    expect(plan.disconnect).toEqual([
      { node: "n1", id: 1, addr: "10.0.0.11:40000", peer: "n2", inbound: true },
      { node: "n2", id: 7, addr: "10.0.0.10:18444", peer: "n1", inbound: false },
      { node: "n4", id: 3, addr: "10.0.0.14:51000", peer: "n5", inbound: true },
      { node: "n5", id: 9, addr: "10.0.0.13:18444", peer: "n4", inbound: false },
    ]);
    expect(crossingConnections(lab, group, { n1: [{ id: 2, addr: "10.0.0.15:18444", inbound: false }] })).toEqual([]);
  });

  it("walks an old tip back to the final chain", async () => {
    // Final chain a0-a1-a2-a3; a stale branch a1-s2-s3 (fork at height 1).
    const headers: Record<string, Header> = {
      a0: { hash: "a0", height: 0 },
      a1: { hash: "a1", height: 1, previousblockhash: "a0" },
      a2: { hash: "a2", height: 2, previousblockhash: "a1" },
      a3: { hash: "a3", height: 3, previousblockhash: "a2" },
      s2: { hash: "s2", height: 2, previousblockhash: "a1" },
      s3: { hash: "s3", height: 3, previousblockhash: "s2" },
    };
    const header = async (hash: string) => headers[hash]!;
    const finalAt = async (height: number) => ["a0", "a1", "a2", "a3"][height];
    expect(await forkHeight("s3", header, finalAt)).toBe(1);
    expect(await forkHeight("a2", header, finalAt)).toBe(2);
    expect(await forkHeight("a3", header, finalAt)).toBe(3);
    await expect(forkHeight("x", async () => ({ hash: "x", height: 0 }), finalAt)).rejects.toThrow(/shares no block/);
  });

  it("names the nodes that reorganised and how deep", () => {
    const summary = summariseReorg({
      n2: { side: "rest", hash: "a3", height: 3, forkHeight: 3 },
      n1: { side: "group", hash: "s3", height: 3, forkHeight: 1 },
      n10: { side: "group", hash: "s2", height: 2, forkHeight: 1 },
    });
    expect(summary.depth).toBe(2);
    expect(summary.reorganised).toEqual(["n1", "n10"]);
    expect(summary.perNode.n10).toEqual({ side: "group", tipBefore: "s2", heightBefore: 2, forkHeight: 1, reorganised: true, depth: 1 });
    expect(summary.perNode.n2!.reorganised).toBe(false);
    expect(parseGroup(" a, b,,a ,c")).toEqual(["a", "b", "c"]);
  });

  it("renders the partition report and summary", () => {
    const result: PartitionResult = {
      format: 1,
      experiment: "partition",
      stack: "s",
      chain: "regtest",
      startedAt: "x",
      finishedAt: "y",
      method: { name: "zmq", description: "test", resolutionMs: 1 },
      settings: { group: ["n1"], blocksEach: 2, lead: 1, winner: "rest", holdSeconds: 0, banSeconds: 3600, timeoutMs: 30_000 },
      forkPoint: { hash: "f".repeat(64), height: 1 },
      sides: {
        group: { nodes: ["n1"], miner: "n1", blocksMined: 2, tip: "1".repeat(64), height: 3 },
        rest: { nodes: ["n2"], miner: "n2", blocksMined: 3, tip: "2".repeat(64), height: 4 },
      },
      cut: { removedAddedNodes: [{ node: "n2", target: "10.0.0.10:18444", peer: "n1" }], bans: [], disconnected: 2, cutMs: 5, leaks: [] },
      heal: { commandsMs: 3, convergedMs: 61.5, perNodeMs: { n1: 61.5, n2: 0 }, timedBy: { n1: "zmq", n2: "already" }, edgesReconnectedMs: 70, edgesConnected: true },
      final: { hash: "2".repeat(64), height: 4 },
      reorg: summariseReorg({ n1: { side: "group", hash: "1".repeat(64), height: 3, forkHeight: 1 }, n2: { side: "rest", hash: "2".repeat(64), height: 4, forkHeight: 4 } }),
    };
    const html = renderPartitionHtml(result);
    expect(html).toContain('<svg id="convergence"');
    expect(externalReferences(html)).toEqual([]);
    expect(html).toContain("62 ms · reorg 2");
    const text = partitionSummary(result);
    expect(text).toContain("reorg: depth 2 at n1");
    expect(text).toContain("62 ms after the heal began; cut edges reconnected after 70 ms");
    expect(text).toMatch(/n2\s+rest\s+222222222222… \(4\)\s+0\s+already/);
  });
});

describe("html helpers", () => {
  it("escapes, formats and scales", () => {
    expect(escapeHtml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    expect([formatMs(null), formatMs(3.14), formatMs(12.6)]).toEqual(["–", "3.1", "13"]);
    expect([niceCeil(0), niceCeil(7), niceCeil(11), niceCeil(260)]).toEqual([1, 10, 20, 500]);
    expect(colour(0)).toBe("rgb(68,1,84)");
    expect(colour(1)).toBe("rgb(253,231,37)");
    expect(colour(2)).toBe(colour(1));
    expect(logScale(0, 100)).toBe(0);
    expect(logScale(100, 100)).toBeCloseTo(1);
    expect(logScale(9, 99)).toBeCloseTo(0.5);
  });

  it("draws one cell per row and column, with escaped labels and tooltips", () => {
    const svg = heatmapSvg({ id: "h", rowLabels: ["<n1>"], columnLabels: ["b1", "b2"], cells: [[{ value: 1, title: "a&b" }, { value: null, title: "none", marked: true }]], unit: "ms" });
    expect(svg).toContain("&lt;n1&gt;");
    expect(svg).toContain("<title>a&amp;b</title>");
    expect(svg).toContain('fill="#ddd" stroke="#e4002b"');
    expect(svg.match(/<rect /g)).toHaveLength(2 + 3);
  });

  it("names result directories by stack, kind and UTC time", () => {
    expect(defaultOutDir("dev", "propagation", new Date("2026-12-04T17:05:09.123Z"))).toMatch(/experiment-results\/dev\/propagation-20261204T170509Z$/);
  });
});
