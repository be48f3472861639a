// netlab experiment mining, run as a user runs it, against a real 5-node regtest ring with three miners of unequal
// hashrate (n1=3, n2=1, n3 undeclared: 1) and a wallet node (n4). A partition first leaves a stale block of n3's
// behind; the mining report must count it, and every other stale block, exactly as the nodes' getchaintips show.
// Everything is labelled netlab.stack=t-mine and removed at the end.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { ChainTip } from "../../src/experiments/chain-tips.js";
import type { MiningResult } from "../../src/experiments/mining-analysis.js";
import type { PartitionResult } from "../../src/experiments/partition-report.js";
import { drawSchedule } from "../../src/experiments/schedule.js";
import { down, planFromFile, poll, up } from "../rig/index.js";
import { Lab, netlab, REPO_ROOT, writeArtifact } from "./lab.js";

const STACK = "t-mine";
const stateDir = mkdtempSync(join(tmpdir(), "netlab-rig-mine-"));
const scratch = mkdtempSync(join(tmpdir(), "netlab-mine-"));
let lab: Lab;
const figures: Record<string, unknown> = {};
/** Background processes this file started, ended in afterAll if a test failed before stopping them. */
const started: number[] = [];

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").startsWith("Z");
  } catch {
    return false;
  }
};

/** The stale blocks as the nodes show them, worked out here: every tip off n5's active chain, walked back to it. */
async function staleFromNodes(): Promise<Map<string, number>> {
  const stale = new Map<string, number>();
  for (const name of lab.names) {
    for (const tip of await lab.call<ChainTip[]>(name, "getchaintips")) {
      let hash = tip.hash;
      for (;;) {
        const header = await lab.call<{ height: number; previousblockhash: string }>(name, "getblockheader", hash);
        const main = await lab.call<string>("n5", "getblockhash", header.height).catch(() => undefined);
        if (main === hash) break;
        stale.set(hash, header.height);
        hash = header.previousblockhash;
      }
    }
  }
  return stale;
}

describe("mining and traffic on a running lab", () => {
  beforeAll(async () => {
    await down(STACK, { stateDir }); // leftovers of an interrupted run
    const topology = join(scratch, "ring-5.yaml");
    writeFileSync(
      topology,
      stringify({
        name: "mine-ring",
        chain: "regtest",
        defaults: { implementation: "knots", version: "29.4" },
        generator: { model: "ring", size: 5, miners: 3 },
        nodes: [
          { name: "n1", hashrate: 3 },
          { name: "n2", hashrate: 1 },
          { name: "n4", role: "wallet" },
        ],
      }),
    );
    const { plan, credentials } = planFromFile(topology, { stack: STACK, subnet: "10.77.65.0/24", portBase: 30000, stateDir });
    lab = new Lab(plan, credentials);
    await up(plan, { credentials, stateDir });
  }, 180_000);

  afterAll(async () => {
    try {
      for (const pid of started.filter(running)) process.kill(pid, "SIGKILL");
      await down(STACK, { stateDir });
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
      writeArtifact("e2e-mining.json", figures);
    }
  }, 60_000);

  it("carries each miner's hashrate share to its container, where the experiment reads it", async () => {
    const info = await lab.inspectAll();
    expect(Object.fromEntries(lab.names.map((name) => [name, info[name]!.Config.Labels["netlab.hashrate"]]))).toEqual({ n1: "3", n2: "1", n3: "1", n4: undefined, n5: undefined });
  });

  it("mines the seeded schedule by share, sends and confirms transactions, and counts exactly the stale blocks the nodes show", async () => {
    // A fork: n3 cut off mines one block, the rest two; after the heal n3's block is stale.
    const partitionOut = join(scratch, "partition");
    const cut = await netlab(["experiment", "partition", "--stack", STACK, "--group", "n3", "--blocks-each", "1", "--out", partitionOut]);
    expect(cut.code, cut.stderr).toBe(0);
    const partition = JSON.parse(readFileSync(join(partitionOut, "partition.json"), "utf8")) as PartitionResult;
    const forkBlock = partition.sides.group.tip;

    const out = join(scratch, "mining");
    const run = await netlab(["experiment", "mining", "--stack", STACK, "--duration", "20s", "--interval", "2s", "--tx-rate", "2", "--seed", "3", "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, "mining.json"), "utf8")) as MiningResult;
    figures.runReport = result;
    expect(run.stdout).toContain(`mining on stack ${STACK}: ${result.blocks.length}/${result.blocks.length} blocks mined`);

    // The schedule the seed gives, mined as drawn: same count, same miners, each block at its miner.
    const schedule = drawSchedule({
      durationMs: 20_000,
      intervalMs: 2_000,
      txRate: 2,
      seed: 3,
      miners: [
        { name: "n1", hashrate: 3 },
        { name: "n2", hashrate: 1 },
        { name: "n3", hashrate: 1 },
      ],
      wallets: ["n1", "n2", "n3", "n4"],
    });
    expect(result.settings.hashrates).toEqual({ n1: 3, n2: 1, n3: 1 });
    expect(result.blocks.map((b) => b.miner)).toEqual(schedule.blocks.map((b) => b.miner));
    expect(result.blocks.map((b) => b.scheduledMs)).toEqual(schedule.blocks.map((b) => b.atMs));
    expect(result.summary.blocksMined).toBe(schedule.blocks.length);
    for (const block of result.blocks) {
      expect(block.hash, `block ${block.index}: ${block.error}`).not.toBeNull();
      expect(block.actualMs! - block.scheduledMs).toBeLessThan(1000);
      const header = await lab.call<{ height: number; confirmations: number }>(block.miner, "getblockheader", block.hash);
      expect(header.height).toBe(block.height);
      expect(header.confirmations > 0).toBe(!block.stale);
    }
    for (const miner of result.miners) expect(miner.mined).toBe(schedule.blocks.filter((b) => b.miner === miner.name).length);

    // One tip everywhere, as the report says.
    const tips = await lab.each((name) => lab.call<string>(name, "getbestblockhash"));
    expect(new Set(Object.values(tips))).toEqual(new Set([result.tips.tip.hash]));
    expect(result.tips.allAgree).toBe(true);

    // Stale blocks: exactly those the nodes' chain tips show, among them the partition's, by n3, before this run.
    const stale = await staleFromNodes();
    expect(new Map(result.tips.staleBlocks.map((b) => [b.hash, b.height]))).toEqual(stale);
    expect(result.tips.staleBlocks.find((b) => b.hash === forkBlock)).toEqual({ hash: forkBlock, height: partition.forkPoint.height + 1, miner: "n3", inRun: false });
    const forkOfPartition = result.tips.forks.find((f) => f.blocks.includes(forkBlock))!;
    expect(forkOfPartition).toMatchObject({ forkHeight: partition.forkPoint.height, length: 1 });
    expect(forkOfPartition.knownBy.n3).toBe("valid-fork");
    expect(result.summary.staleInRun).toBe(result.blocks.filter((b) => b.stale).length);
    expect(result.summary.staleTotal).toBe(stale.size);

    // Transactions: all sent; each confirmed on the chain or still in a mempool.
    expect(result.summary.txsScheduled).toBe(schedule.txs.length);
    expect(result.summary.txsSent).toBe(schedule.txs.length);
    expect(result.summary.txsConfirmed).toBeGreaterThan(0);
    expect(result.summary.txsConfirmed + result.summary.txsInMempool).toBe(result.summary.txsSent);
    const mempool = new Set(await lab.call<string[]>("n5", "getrawmempool"));
    for (const tx of result.txs) {
      const wallet = tx.from === "n4" ? "wallet" : "miner";
      const confirmations = (await lab.wallet<{ confirmations: number }>(tx.from, wallet, "gettransaction", tx.txid)).confirmations;
      expect(confirmations > 0, `tx ${tx.txid}`).toBe(tx.confirmed);
      if (!tx.confirmed) expect(mempool.has(tx.txid!)).toBe(true);
    }

    const html = readFileSync(join(out, "mining.html"), "utf8");
    expect(html).toContain('<svg id="timeline"');
    expect(html).toContain(`${stale.size} stale block${stale.size === 1 ? "" : "s"} on ${result.tips.forks.length} fork`);
    expect(html).toContain(forkBlock);
    expect(html).not.toMatch(/<script|<link|src=/);
    figures.run = { blocks: result.summary.blocksMined, lateMs: Math.max(...result.blocks.map((b) => b.actualMs! - b.scheduledMs)), miners: result.miners, summary: result.summary };
  }, 120_000);

  it("sends a burst of transactions between two blocks without hitting the mempool's chain limit", async () => {
    // 15 per second for 8 s and no block: ~30 per sender, more than one chain of unconfirmed change may hold (25).
    const out = join(scratch, "burst");
    const run = await netlab(["experiment", "mining", "--stack", STACK, "--duration", "8s", "--interval", "1h", "--tx-rate", "15", "--seed", "4", "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, "mining.json"), "utf8")) as MiningResult;
    expect(result.summary.blocksMined).toBe(0);
    expect(result.summary.txsScheduled).toBeGreaterThan(100);
    expect(result.summary).toMatchObject({ txsSent: result.summary.txsScheduled, txsFailed: 0, txsInMempool: result.summary.txsScheduled });
    // The last ones sent may still be on their way to n2.
    let missing: string[] = [];
    await poll(
      "every sent transaction in n2's mempool",
      async () => {
        const mempool = new Set(await lab.call<string[]>("n2", "getrawmempool"));
        missing = result.txs.map((tx) => tx.txid!).filter((txid) => !mempool.has(txid));
        return missing.length === 0 ? true : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, describe: async () => `${missing.length} missing, e.g. ${missing.slice(0, 3).join(", ")}` },
    );
    figures.burst = { txs: result.summary.txsSent, perSender: Object.fromEntries(["n1", "n2", "n3", "n4"].map((n) => [n, result.txs.filter((tx) => tx.from === n).length])) };
  }, 60_000);

  it("runs in the background until `netlab experiment stop --stack`, which makes it write its report and end", async () => {
    const before = await lab.call<number>("n5", "getblockcount");
    // In the scratch directory, so the default results directory experiment-results/t-mine/mining-<time> lands there.
    const start = await netlab(["experiment", "mining", "--stack", STACK, "--duration", "10m", "--interval", "1s", "--tx-rate", "1", "--detach"], { cwd: scratch });
    expect(start.code, start.stderr).toBe(0);
    const pid = Number(/pid (\d+)/.exec(start.stdout)?.[1]);
    started.push(pid);
    const out = /in (\S+)\n/.exec(start.stdout)?.[1] ?? "";
    expect(out.startsWith(join(scratch, "experiment-results", STACK, "mining-"))).toBe(true);
    expect(readFileSync(join(out, "netlab.pid"), "utf8").trim()).toBe(String(pid));
    expect(running(pid)).toBe(true);
    await poll("background blocks", async () => ((await lab.call<number>("n5", "getblockcount")) >= before + 3 ? true : undefined), { timeoutMs: 45_000, intervalMs: 250 });

    const stop = await netlab(["experiment", "stop", "--stack", STACK], { cwd: scratch });
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain(`stopped pid ${pid}; report in ${out}`);
    expect(running(pid)).toBe(false);
    expect(existsSync(join(out, "netlab.pid"))).toBe(false);
    const result = JSON.parse(readFileSync(join(out, "mining.json"), "utf8")) as MiningResult;
    expect(result.stoppedEarly).toBe(true);
    expect(result.ranMs).toBeLessThan(60_000);
    expect(result.summary.blocksMined).toBeGreaterThanOrEqual(3);
    expect(result.blocks.length).toBe(result.summary.blocksMined); // only what was due before the stop
    expect(readFileSync(join(out, "netlab.log"), "utf8")).toContain("SIGTERM: stopping the schedule");

    const again = await netlab(["experiment", "stop", out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`nothing runs in ${out}`);
    figures.background = { ranMs: result.ranMs, blocks: result.summary.blocksMined, txs: result.summary.txsSent };
  }, 90_000);

  it("stops on Ctrl-C in the foreground and still writes its report", async () => {
    const out = join(scratch, "interrupted");
    const child = spawn(process.execPath, [join(REPO_ROOT, "bin/netlab.js"), "experiment", "mining", "--stack", STACK, "--duration", "10m", "--interval", "500ms", "--out", out], { cwd: REPO_ROOT });
    started.push(child.pid!);
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on("close", done));
    await poll("two blocks mined", async () => ((stderr.match(/^netlab experiment: block \d+\//gm) ?? []).length >= 2 ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 });
    child.kill("SIGINT");
    expect(await exited, stderr).toBe(0);
    expect(stderr).toContain("SIGINT: stopping the schedule, then writing the report");
    expect(stdout).toContain("(stopped early)");
    const result = JSON.parse(readFileSync(join(out, "mining.json"), "utf8")) as MiningResult;
    expect(result.stoppedEarly).toBe(true);
    expect(result.summary.blocksMined).toBeGreaterThanOrEqual(2);
    expect(existsSync(join(out, "mining.html"))).toBe(true);
  }, 60_000);

  it("refuses miners without a wallet and malformed shares, naming them", async () => {
    const noWallet = await netlab(["experiment", "mining", "--stack", STACK, "--duration", "1s", "--miners", "n1=2,n5=1"]);
    expect(noWallet.code).toBe(1);
    expect(noWallet.stderr).toContain("--miners: node n5 has no wallet loaded");
    const malformed = await netlab(["experiment", "mining", "--stack", STACK, "--miners", "n1=lots"]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('"n1=lots" is not node=share (e.g. n1=3)');
  });

  it("propagation still measures on this lab, after warm-up blocks until every feed has reported one", async () => {
    const out = join(scratch, "propagation");
    const run = await netlab(["experiment", "propagation", "--stack", STACK, "--blocks", "2", "--txs", "1", "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, "propagation.json"), "utf8")) as { items: { reached: number }[] };
    expect(result.items.map((item) => item.reached)).toEqual([5, 5, 5]);
  }, 60_000);
});
