// The warm-up before measuring propagation: blocks are mined until every node's feed has delivered one (ZMQ
// subscribers that join late miss the first), at most five; the experiment and scripts/bench-scale.ts share it.
import { describe, expect, it } from "vitest";
import { warmUp, WARMUP_LIMIT, type FirstSeen } from "../../src/experiments/first-seen.js";
import type { LabNode } from "../../src/experiments/lab.js";

/** A miner whose blocks are b1, b2, …, and a feed where node i starts delivering from block joinsAt[i]. */
function fakeLab(joinsAt: Record<string, number>) {
  let mined = 0;
  const calls: string[] = [];
  const miner = {
    name: "m",
    rpc: {
      async call<T>(method: string, params: unknown[] = []): Promise<T> {
        calls.push(`${method} ${String(params[0])}`);
        if (method === "generatetoaddress") return [`b${++mined}`] as T;
        if (method === "getblock") return { tx: [`coinbase-of-${String(params[0])}`] } as T;
        throw new Error(method);
      },
    },
  } as unknown as LabNode;
  const watcher = {
    method: { name: "zmq", description: "", resolutionMs: 1 },
    async unconfirmed(block: { hash: string; coinbase: string }, names: readonly string[]) {
      expect(block.coinbase).toBe(`coinbase-of-${block.hash}`);
      const n = Number(block.hash.slice(1));
      return names.filter((name) => joinsAt[name]! > n);
    },
  } as unknown as FirstSeen;
  return { miner, watcher, calls };
}

describe("warm-up blocks", () => {
  it("mines one block when every feed delivers at once", async () => {
    const { miner, watcher, calls } = fakeLab({ a: 1, b: 1 });
    const lines: string[] = [];
    expect(await warmUp(watcher, miner, async () => "addr", ["a", "b"], { timeoutMs: 10, log: (l) => lines.push(l) })).toEqual({ blocks: 1, silent: [] });
    expect(calls).toEqual(["generatetoaddress 1", "getblock b1"]);
    expect(lines).toEqual([]);
  });

  it("mines more until the slow joiners deliver, and says how many are still silent", async () => {
    const { miner, watcher } = fakeLab({ a: 1, b: 3, c: 2 });
    const lines: string[] = [];
    expect(await warmUp(watcher, miner, async () => "addr", ["a", "b", "c"], { timeoutMs: 10, log: (l) => lines.push(l) })).toEqual({ blocks: 3, silent: [] });
    expect(lines).toEqual(["warm-up block 1: 2 of 3 ZMQ feeds not delivering yet", "warm-up block 2: 1 of 3 ZMQ feeds not delivering yet"]);
  });

  it("gives up after five blocks and returns the nodes still silent", async () => {
    const { miner, watcher } = fakeLab({ a: 1, b: 99 });
    expect(WARMUP_LIMIT).toBe(5);
    expect(await warmUp(watcher, miner, async () => "addr", ["a", "b"], { timeoutMs: 10, log: () => {} })).toEqual({ blocks: 5, silent: ["b"] });
  });
});
