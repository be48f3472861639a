// The netlab commands for a running lab, run as a user runs them, against a real 3-node lab.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { down, planFromFile, poll, up } from "../rig/index.js";
import { Lab, REPO_ROOT } from "./lab.js";

const STACK = "t-cli";
const stateDir = mkdtempSync(join(tmpdir(), "netlab-rig-cli-"));
let lab: Lab;

function netlab(...args: string[]) {
  const result = spawnSync(process.execPath, ["bin/netlab.js", ...args], { cwd: REPO_ROOT, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
const height = (container: string) => Number(execFileSync("docker", ["exec", container, "bitcoin-cli", "getblockcount"], { encoding: "utf8" }));

describe("netlab commands on a running lab", () => {
  beforeAll(async () => {
    await down(STACK, { stateDir });
    const { plan, credentials } = planFromFile(resolve(REPO_ROOT, "topologies/dev.yaml"), { stack: STACK, subnet: "10.77.57.0/24", portBase: 25700, stateDir });
    lab = new Lab(plan, credentials);
    await up(plan, { credentials, stateDir });
  }, 180_000);

  afterAll(async () => {
    try {
      await down(STACK, { stateDir });
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("status prints every node with its true height and peers", () => {
    const result = netlab("status", "--stack", STACK);
    expect(result.code, result.stderr).toBe(0);
    const rows = result.stdout.trim().split("\n").slice(1).map((line) => line.split(/\s{2,}/));
    expect(rows.map((r) => r[1])).toEqual(["n1", "n2", "n3"]);
    for (const row of rows) {
      expect(row[4]).toBe("running");
      expect(Number(row[5])).toBe(height(`${STACK}-${row[1]}`));
    }
    // n2 sits between n1 and n3: one inbound (from n3), one outbound (to n1).
    expect(rows[1]!.slice(6, 8)).toEqual(["1", "1"]);
  });

  it("mine, send and rpc act on the named node and the lab follows", async () => {
    const before = height(`${STACK}-n1`);
    const mined = netlab("mine", "n1", "2", "--stack", STACK);
    expect(mined.code, mined.stderr).toBe(0);
    expect(mined.stdout).toMatch(new RegExp(`^n1: mined 2 blocks, height ${before + 2}, tip [0-9a-f]{64}`));
    await poll("n3 at the new height", async () => (height(`${STACK}-n3`) === before + 2 ? true : undefined), { timeoutMs: 20_000, intervalMs: 200 });

    const sent = netlab("send", "n1", "n3", "0.5", "--stack", STACK);
    expect(sent.code, sent.stderr).toBe(0);
    const txid = /txid ([0-9a-f]{64})/.exec(sent.stdout)![1]!;
    await poll("the transaction in n3's mempool", async () => ((JSON.parse(netlab("rpc", "n3", "getrawmempool", "--stack", STACK).stdout) as string[]).includes(txid) ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    const tx = JSON.parse(netlab("rpc", "n3", "gettransaction", txid, "--wallet", "wallet", "--stack", STACK).stdout) as { amount: number };
    expect(tx.amount).toBe(0.5);
  });

  it("logs shows bitcoind's output, and unknown nodes are named", () => {
    const logs = netlab("logs", "n2", "--tail", "5000", "--stack", STACK);
    expect(logs.code).toBe(0);
    expect(logs.stdout + logs.stderr).toContain("init message: Done loading");
    expect((netlab("logs", "n2", "--tail", "3", "--stack", STACK).stdout.trim().split("\n")).length).toBe(3);
    const missing = netlab("rpc", "n9", "getblockcount", "--stack", STACK);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`no node "n9" in stack "${STACK}" (nodes: n1, n2, n3)`);
    const noWallet = netlab("mine", "n2", "--stack", STACK);
    expect(noWallet.code).toBe(1);
    expect(noWallet.stderr).toContain('node "n2" has no wallet loaded');
  });
});
