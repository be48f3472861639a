// netlab experiment propagation and partition, run as a user runs them, against a real 6-node regtest ring with
// two miners (n1, n2) and a wallet node (n4). Everything is labelled netlab.stack=t-exp and removed at the end.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { PartitionResult } from "../../src/experiments/partition-report.js";
import type { PropagationResult } from "../../src/experiments/propagation-analysis.js";
import { down, planFromFile, poll, unconnectedEdges, up } from "../rig/index.js";
import { Lab, netlab, writeArtifact } from "./lab.js";

const STACK = "t-exp";
const SIZE = 6;
const stateDir = mkdtempSync(join(tmpdir(), "netlab-rig-exp-"));
const scratch = mkdtempSync(join(tmpdir(), "netlab-exp-"));
let lab: Lab;
const figures: Record<string, unknown> = {};

/** Hops between n<i> and n<j> on the ring the generator makes. */
const ringHops = (a: string, b: string) => {
  const d = Math.abs(Number(a.slice(1)) - Number(b.slice(1)));
  return Math.min(d, SIZE - d);
};

describe("experiments on a running lab", () => {
  beforeAll(async () => {
    await down(STACK, { stateDir }); // leftovers of an interrupted run
    const topology = join(scratch, "ring-6.yaml");
    writeFileSync(
      topology,
      stringify({ name: "exp-ring", chain: "regtest", defaults: { implementation: "knots", version: "29.4" }, generator: { model: "ring", size: SIZE, miners: 2 }, nodes: [{ name: "n4", role: "wallet" }] }),
    );
    const { plan, credentials } = planFromFile(topology, { stack: STACK, subnet: "10.77.58.0/24", portBase: 25800, stateDir });
    lab = new Lab(plan, credentials);
    await up(plan, { credentials, stateDir });
  }, 180_000);

  afterAll(async () => {
    try {
      await down(STACK, { stateDir });
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
      writeArtifact("e2e-experiments.json", figures);
    }
  }, 60_000);

  it("propagation: every node's first sighting of every block and transaction, by hop, with a report", async () => {
    const out = join(scratch, "propagation");
    const run = await netlab(["experiment", "propagation", "--stack", STACK, "--blocks", "3", "--txs", "3", "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`propagation on stack ${STACK}: ${SIZE} nodes, ${SIZE} declared edges, method zmq`);
    expect(run.stdout).toMatch(/^b1\s+[0-9a-f]{12}…\s+n[12]\s+6\/6/m);

    const result = JSON.parse(readFileSync(join(out, "propagation.json"), "utf8")) as PropagationResult;
    expect(result.items.map((item) => item.kind)).toEqual(["block", "block", "block", "tx", "tx", "tx"]);
    expect(result.nodes.map((node) => node.name)).toEqual(lab.names);
    expect(result.edges).toHaveLength(SIZE);
    for (const item of result.items) {
      expect(item.reached).toBe(SIZE);
      for (const name of lab.names) {
        const delay = item.firstSeenMs[name];
        expect(delay, `${item.kind} ${item.id} at ${name}`).not.toBeNull();
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(item.hops[name]).toBe(ringHops(item.origin, name));
      }
      expect(item.timeToMs.p100!).toBeGreaterThanOrEqual(item.timeToMs.p90!);
      expect(item.timeToMs.p90!).toBeGreaterThanOrEqual(item.timeToMs.p50!);
      if (item.kind === "block") expect(["n1", "n2"]).toContain(item.origin);
    }
    // The items are real: the blocks are on every node's chain, the transactions in the last one's mempool.
    for (const item of result.items.filter((i) => i.kind === "block")) expect((await lab.call<{ confirmations: number }>("n4", "getblockheader", item.id)).confirmations).toBeGreaterThan(0);
    const mempool = await lab.call<string[]>("n6", "getrawmempool");
    for (const item of result.items.filter((i) => i.kind === "tx")) expect(mempool).toContain(item.id);
    expect(result.summary.block.perHop.map((h) => h.hops)).toEqual([0, 1, 2, 3]);
    expect(result.summary.block.missing + result.summary.tx.missing).toBe(0);

    const html = readFileSync(join(out, "propagation.html"), "utf8");
    expect(html).toContain('<svg id="heatmap"');
    expect(html).toContain('<svg id="cdf"');
    expect(html).not.toMatch(/<script|<link|src=/);
    figures.propagation = { method: result.method.name, block: result.summary.block, tx: result.summary.tx };
  }, 60_000);

  it("propagation by RPC polling, for machines without the zeromq addon", async () => {
    const out = join(scratch, "propagation-rpc");
    const run = await netlab(["experiment", "propagation", "--stack", STACK, "--blocks", "1", "--txs", "1", "--method", "rpc", "--miner", "n2", "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, "propagation.json"), "utf8")) as PropagationResult;
    expect(result.method.name).toBe("rpc");
    expect(result.items[0]!.origin).toBe("n2");
    expect(result.items.every((item) => item.reached === SIZE)).toBe(true);
    figures.propagationRpc = { block: result.summary.block.perHop, tx: result.summary.tx.perHop };
  }, 60_000);

  it("partition refuses a split that leaves a side without a miner, and changes nothing", async () => {
    const run = await netlab(["experiment", "partition", "--stack", STACK, "--group", "n3,n4"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the group (n3, n4) has no miner with a wallet");
    expect(await unconnectedEdges(lab.plan.edges, new Map(lab.plan.nodes.map((n) => [n.node, n.container])))).toEqual([]);
  });

  it("partition and heal: the losing side reorganises as deep as it mined, the lab converges, every edge returns", async () => {
    const out = join(scratch, "partition");
    // The ring n1-…-n6 cut into n5,n6,n1 (miner n1) and n2,n3,n4 (miner n2); the rest mines one block more and wins.
    const run = await netlab(["experiment", "partition", "--stack", STACK, "--group", "n1,n5,n6", "--blocks-each", "2", "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, "partition.json"), "utf8")) as PartitionResult;
    expect(result.sides.group).toMatchObject({ nodes: ["n1", "n5", "n6"], miner: "n1", blocksMined: 2 });
    expect(result.sides.rest).toMatchObject({ nodes: ["n2", "n3", "n4"], miner: "n2", blocksMined: 3 });
    expect(result.sides.group.tip).not.toBe(result.sides.rest.tip);
    expect(result.cut.removedAddedNodes.map((e) => `${e.node}->${e.peer}`).sort()).toEqual(["n2->n1", "n5->n4"]);
    expect(result.cut.leaks).toEqual([]);

    expect(result.reorg.reorganised).toEqual(["n1", "n5", "n6"]);
    expect(result.reorg.depth).toBe(result.sides.group.blocksMined);
    for (const name of ["n1", "n5", "n6"]) expect(result.reorg.perNode[name]).toMatchObject({ reorganised: true, depth: 2, forkHeight: result.forkPoint.height });
    for (const name of ["n2", "n3", "n4"]) expect(result.reorg.perNode[name]).toMatchObject({ reorganised: false, depth: 0 });
    expect(result.final).toEqual({ hash: result.sides.rest.tip, height: result.forkPoint.height + 3 });
    expect(result.heal.convergedMs).toBeGreaterThan(0);
    expect(result.heal.edgesConnected).toBe(true);

    // Checked independently of the command: one tip everywhere, no bans left, every declared edge connected.
    expect(new Set(Object.values(await lab.each((name) => lab.call<string>(name, "getbestblockhash"))))).toEqual(new Set([result.final.hash]));
    expect(Object.values(await lab.each((name) => lab.call<unknown[]>(name, "listbanned"))).flat()).toEqual([]);
    const containers = new Map(lab.plan.nodes.map((n) => [n.node, n.container]));
    await poll("every declared edge connected", async () => ((await unconnectedEdges(lab.plan.edges, containers)).length === 0 ? true : undefined), { timeoutMs: 15_000, intervalMs: 250 });
    const added = await lab.each((name) => lab.call<{ addednode: string }[]>(name, "getaddednodeinfo"));
    for (const name of lab.names) expect(added[name]!.map((e) => e.addednode).sort()).toEqual(lab.plan.edges.filter((e) => e.from === name).map((e) => e.target).sort());

    expect(existsSync(join(out, "partition.html"))).toBe(true);
    expect(readFileSync(join(out, "partition.html"), "utf8")).toContain('<svg id="convergence"');
    figures.partition = { cutMs: result.cut.cutMs, heal: result.heal, reorgDepth: result.reorg.depth, reorganised: result.reorg.reorganised };
  }, 90_000);
});
