// netlab experiment mining, the pure parts: the seeded schedule (exponential block gaps, miners by share, Poisson
// transactions) and the fork and stale-block analysis of getchaintips answers.
import { describe, expect, it } from "vitest";
import { durationMs } from "../../src/cli/experiment-commands.js";
import { analyseChainTips, branchOf, referenceTip, type ChainInput, type ChainTip, type HeaderLink } from "../../src/experiments/chain-tips.js";
import { summariseMining, type MinedBlock } from "../../src/experiments/mining-analysis.js";
import { miningSummary, renderMiningHtml } from "../../src/experiments/mining-report.js";
import { drawSchedule, normaliseShares, parseShares, type ScheduleSpec } from "../../src/experiments/schedule.js";

const SPEC: ScheduleSpec = {
  durationMs: 60_000,
  intervalMs: 2_000,
  txRate: 2,
  miners: [
    { name: "n1", hashrate: 3 },
    { name: "n2", hashrate: 1 },
  ],
  wallets: ["n1", "n2", "n4"],
  seed: 7,
};

const gaps = (times: number[]) => times.map((t, i) => t - (i === 0 ? 0 : times[i - 1]!));

describe("the mining schedule", () => {
  it("is the same for the same seed, different for another, and the tx rate does not move the blocks", () => {
    expect(drawSchedule(SPEC)).toEqual(drawSchedule({ ...SPEC }));
    expect(drawSchedule({ ...SPEC, seed: 8 }).blocks).not.toEqual(drawSchedule(SPEC).blocks);
    expect(drawSchedule({ ...SPEC, txRate: 0 })).toEqual({ blocks: drawSchedule(SPEC).blocks, txs: [] });
  });

  it("keeps every event inside the duration, in order, transactions between two different wallets", () => {
    const { blocks, txs } = drawSchedule(SPEC);
    for (const list of [blocks, txs]) {
      expect(list.map((e) => e.atMs)).toEqual([...list.map((e) => e.atMs)].sort((a, b) => a - b));
      for (const event of list) {
        expect(event.atMs).toBeGreaterThanOrEqual(0);
        expect(event.atMs).toBeLessThan(SPEC.durationMs);
      }
    }
    for (const tx of txs) {
      expect(SPEC.wallets).toContain(tx.from);
      expect(tx.to).not.toBe(tx.from);
    }
  });

  it("has exponential block gaps with the target mean (mean within 3 %, Kolmogorov–Smirnov distance below the 5 % critical value)", () => {
    const mean = 1000;
    const { blocks } = drawSchedule({ ...SPEC, intervalMs: mean, durationMs: 5_000_000, txRate: 0 });
    const g = gaps(blocks.map((b) => b.atMs)).sort((a, b) => a - b);
    expect(g.length).toBeGreaterThan(4500);
    const observedMean = g.reduce((sum, x) => sum + x, 0) / g.length;
    expect(Math.abs(observedMean - mean) / mean).toBeLessThan(0.03);
    // Times are rounded to whole ms; the half-ms is well below the tolerance at this mean.
    const ks = Math.max(...g.map((x, i) => Math.max(Math.abs((i + 1) / g.length - (1 - Math.exp(-x / mean))), Math.abs(i / g.length - (1 - Math.exp(-x / mean))))));
    expect(ks).toBeLessThan(1.36 / Math.sqrt(g.length));
    // Quantiles of Exp(mean): the median is mean·ln 2, the 90th percentile mean·ln 10.
    expect(g[Math.floor(g.length / 2)]! / (mean * Math.LN2)).toBeCloseTo(1, 1);
    expect(g[Math.floor(g.length * 0.9)]! / (mean * Math.LN10)).toBeCloseTo(1, 1);
  });

  it("draws miners by hashrate share", () => {
    const miners = [
      { name: "a", hashrate: 6 },
      { name: "b", hashrate: 3 },
      { name: "c", hashrate: 1 },
    ];
    const { blocks } = drawSchedule({ ...SPEC, miners, intervalMs: 10, durationMs: 200_000, txRate: 0 });
    expect(blocks.length).toBeGreaterThan(15_000);
    const shares = normaliseShares(miners);
    expect(shares).toEqual({ a: 0.6, b: 0.3, c: 0.1 });
    for (const { name } of miners) expect(Math.abs(blocks.filter((b) => b.miner === name).length / blocks.length - shares[name]!)).toBeLessThan(0.015);
  });

  it("sends transactions as a Poisson process at the rate", () => {
    const { txs } = drawSchedule({ ...SPEC, txRate: 5, durationMs: 2_000_000 });
    expect(txs.length / 2000).toBeCloseTo(5, 0);
    const g = gaps(txs.map((t) => t.atMs));
    expect(g.reduce((sum, x) => sum + x, 0) / g.length).toBeGreaterThan(190);
    expect(g.reduce((sum, x) => sum + x, 0) / g.length).toBeLessThan(210);
  });

  it("parses --miners and --duration, naming what is wrong", () => {
    expect(parseShares("n1=3, n2=0.5")).toEqual([
      { name: "n1", hashrate: 3 },
      { name: "n2", hashrate: 0.5 },
    ]);
    expect(() => parseShares("n1")).toThrow('"n1" is not node=share (e.g. n1=3)');
    expect(() => parseShares("n1=0")).toThrow('"n1=0": the share must be greater than 0');
    expect(() => parseShares("n1=1,n1=2")).toThrow('"n1" is named twice');
    expect(() => parseShares(",")).toThrow("names no miner");
    expect([durationMs("60s"), durationMs("1m30s"), durationMs("500ms"), durationMs("90"), durationMs("2h")]).toEqual([60_000, 90_000, 500, 90_000, 7_200_000]);
    expect(() => durationMs("10 minutes")).toThrow('"10 minutes" is not a duration');
    expect(() => durationMs("0s")).toThrow("is not a duration above 0");
  });
});

// A chain 0..5 (main: m0..m5). Node a mined s3 at height 3 (lost to m3), then s4 on it; b heard only s3's header;
// c has a one-block fork x5 at height 5 it mined itself and is on the main tip; d lags at m4.
const main = ["m0", "m1", "m2", "m3", "m4", "m5"];
const HEADERS: Record<string, HeaderLink> = {
  ...Object.fromEntries(main.map((hash, height) => [hash, { height, previous: height === 0 ? undefined : main[height - 1] }])),
  s3: { height: 3, previous: "m2" },
  s4: { height: 4, previous: "s3" },
  x5: { height: 5, previous: "m4" },
};
const tip = (hash: string, status: string, branchlen = 0): ChainTip => ({ hash, height: HEADERS[hash]!.height, branchlen, status });
const INPUT: ChainInput = {
  tips: {
    a: [tip("m5", "active"), tip("s4", "valid-fork", 2)],
    b: [tip("m5", "active"), tip("s3", "headers-only", 1)],
    c: [tip("m5", "active"), tip("x5", "valid-fork", 1)],
    d: [tip("m4", "active")],
  },
  mainChain: Object.fromEntries(main.map((hash, height) => [height, hash])),
  headers: HEADERS,
  minedBy: { s3: "a", s4: "a", x5: "c", m5: "c" },
  runBlocks: ["s4", "x5", "m5"],
};

describe("forks and stale blocks from getchaintips", () => {
  it("takes the tip most nodes are on as the lab's chain", () => {
    expect(referenceTip(INPUT.tips)).toEqual({ hash: "m5", height: 5 });
    // A tie goes to the higher tip.
    expect(referenceTip({ a: [tip("m4", "active")], b: [tip("x5", "active")] })).toEqual({ hash: "x5", height: 5 });
  });

  it("walks a stale tip back to the main chain", () => {
    expect(branchOf("s4", INPUT)).toEqual(["s3", "s4"]);
    expect(branchOf("m4", INPUT)).toEqual([]);
    expect(() => branchOf("s4", { ...INPUT, headers: { s4: HEADERS.s4! } })).toThrow("no header for block s3 below stale tip s4");
  });

  it("counts each stale block once, each fork once (a node's partial view joins the fork it belongs to), with miners", () => {
    const analysis = analyseChainTips(INPUT);
    expect(analysis.staleBlocks).toEqual([
      { hash: "s3", height: 3, miner: "a", inRun: false },
      { hash: "s4", height: 4, miner: "a", inRun: true },
      { hash: "x5", height: 5, miner: "c", inRun: true },
    ]);
    expect(analysis.forks.map((f) => ({ tip: f.tip, forkHeight: f.forkHeight, length: f.length, blocks: f.blocks }))).toEqual([
      { tip: "s4", forkHeight: 2, length: 2, blocks: ["s3", "s4"] },
      { tip: "x5", forkHeight: 4, length: 1, blocks: ["x5"] },
    ]);
    expect(analysis.forks[0]!.knownBy).toEqual({ a: "valid-fork", b: "headers-only (at s3…)" });
    expect(analysis.forks.map((f) => f.contested)).toEqual([false, false]);
    expect(analysis.staleByMiner).toEqual({ a: 2, c: 1 });
    expect(analysis.allAgree).toBe(false);
    expect(analysis.nodes.d).toEqual({ hash: "m4", height: 4, agrees: false, behind: true });
    expect(analysis.nodes.a).toEqual({ hash: "m5", height: 5, agrees: true, behind: false });
  });

  it("finds nothing stale on a single chain, and counts a node on another branch as apart, not behind", () => {
    const single = analyseChainTips({ ...INPUT, tips: { a: [tip("m5", "active")], b: [tip("m5", "active")] } });
    expect(single).toMatchObject({ staleBlocks: [], forks: [], allAgree: true, staleByMiner: {} });
    const split = analyseChainTips({ ...INPUT, tips: { a: [tip("m5", "active")], b: [tip("m5", "active")], c: [tip("x5", "active"), tip("m5", "valid-headers")] } });
    expect(split.nodes.c).toEqual({ hash: "x5", height: 5, agrees: false, behind: false });
    expect(split.staleBlocks.map((b) => b.hash)).toEqual(["x5"]);
    expect(split.forks).toMatchObject([{ tip: "x5", contested: true, knownBy: { c: "active" } }]);
  });

  it("summarises a run: blocks per miner against shares, orphan rate, transactions, and renders the report", () => {
    const blocks: MinedBlock[] = [
      { index: 0, miner: "c", scheduledMs: 100, actualMs: 102, hash: "x5", height: 5 },
      { index: 1, miner: "c", scheduledMs: 150, actualMs: 151, hash: "m5", height: 5 },
      { index: 2, miner: "a", scheduledMs: 900, actualMs: 901, hash: "s4", height: 4 },
      { index: 3, miner: "a", scheduledMs: 990, actualMs: 991, hash: null, height: null, error: "boom" },
    ];
    const tx = { scheduledMs: 5, actualMs: 6, from: "a", to: "c" };
    const result = summariseMining({
      stack: "s",
      chain: "regtest",
      startedAt: "t0",
      finishedAt: "t1",
      stoppedEarly: false,
      ranMs: 1000,
      settings: { durationMs: 1000, intervalMs: 200, txRate: 3, seed: 1, settleMs: 1000, hashrates: { a: 1, c: 3 }, sharesFrom: "topology" },
      nodes: ["a", "b", "c", "d"].map((name) => ({ name, role: "miner" })),
      startHeight: 2,
      blocks,
      txs: [
        { ...tx, index: 0, txid: "t1", confirmed: true, inMempoolOf: [] },
        { ...tx, index: 1, txid: "t2", confirmed: false, inMempoolOf: ["a", "b"] },
        { ...tx, index: 2, txid: "t3", confirmed: false, inMempoolOf: [] },
        { ...tx, index: 3, txid: null, confirmed: false, inMempoolOf: [], error: "no coins" },
      ],
      tips: analyseChainTips(INPUT),
      shares: normaliseShares([
        { name: "a", hashrate: 1 },
        { name: "c", hashrate: 3 },
      ]),
    });
    expect(result.miners).toEqual([
      { name: "a", share: 0.25, scheduled: 2, mined: 1, stale: 1, observedShare: 1 / 3 },
      { name: "c", share: 0.75, scheduled: 2, mined: 2, stale: 1, observedShare: 2 / 3 },
    ]);
    expect(result.summary).toMatchObject({ blocksScheduled: 4, blocksMined: 3, blocksFailed: 1, staleInRun: 2, staleTotal: 3, forks: 2, orphanRate: 2 / 3 });
    expect(result.summary).toMatchObject({ txsScheduled: 4, txsSent: 3, txsFailed: 1, txsConfirmed: 1, txsInMempool: 1, txsLost: 1 });
    const html = renderMiningHtml(result);
    expect(html).toContain('<svg id="timeline"');
    expect(html).toContain("3 stale blocks on 2 forks; 2 of the 3 blocks this run mined went stale (orphan rate 66.7 %)");
    expect(html).not.toMatch(/<script|<link|src=/);
    expect(miningSummary(result)).toContain("stale blocks: 3 (2 from this run, orphan rate 66.7 %), forks: 2");
  });
});
