// The neighbour-table estimate against what docs/scale.md measured, and the warning a user gets before a lab
// outgrows the kernel's table.
import { describe, expect, it } from "vitest";
import { neighbourEntriesNeeded, neighbourTableWarning } from "../../src/plan/neighbours.js";
import { buildPlan } from "../../src/plan/plan.js";
import { rpcAuthLine } from "../../src/plan/rpcauth.js";
import { stackSettings } from "../../src/plan/stack.js";
import { parseTopology } from "../../src/topology/load.js";

const rpcAuth = rpcAuthLine("netlab", "pw", "00".repeat(16));
const planOf = (yaml: string, extra: object = {}) =>
  buildPlan(parseTopology(yaml, "t.yaml"), stackSettings("t-neigh", { rpcAuth, subnet: "10.77.0.0/16", portBase: 40000, monitoring: false, ...extra }));

describe("neighbour table estimate", () => {
  // Peaks measured by scripts/bench-scale.ts (barabasi-albert m=2, 2 miners): the estimate must not fall short of
  // them, or the warning would come too late.
  it.each([
    [10, 67],
    [50, 347],
    [100, 695],
    [200, 1225],
  ])("a %i-node barabasi-albert lab is estimated at no less than its measured peak (%i entries)", (n, peak) => {
    const plan = planOf(`chain: regtest\ngenerator: { model: barabasi-albert, size: ${n}, m: 2, seed: 2017, miners: 2 }\n`);
    const needed = neighbourEntriesNeeded(plan).get("local")!;
    expect(needed).toBeGreaterThanOrEqual(peak * 0.99);
    expect(needed).toBeLessThan(peak * 1.2);
  });

  it("counts an edge across hosts once at each end's host", () => {
    const hosts = [
      { name: "a", docker: "ssh://lab@a", address: "192.168.1.10" },
      { name: "b", docker: "ssh://lab@b", address: "192.168.1.11" },
    ];
    const plan = planOf("chain: regtest\nnodes:\n  - { name: x, host: a }\n  - { name: y, host: b }\nedges:\n  - { from: x, to: y }\n", { hosts });
    expect(Object.fromEntries(neighbourEntriesNeeded(plan))).toEqual({ a: 12, b: 12 });
  });

  it("warns with the sysctl command when the limit leaves under 10 % headroom, and not otherwise", () => {
    expect(neighbourTableWarning("local", 900, 1024)).toBeUndefined();
    const warning = neighbourTableWarning("local", 1394, 1024)!;
    expect(warning).toContain("about 1394 entries");
    expect(warning).toContain("limit is 1024");
    expect(warning).toContain("sysctl -w net.ipv4.neigh.default.gc_thresh1=1024 net.ipv4.neigh.default.gc_thresh2=2048 net.ipv4.neigh.default.gc_thresh3=4096");
    expect(neighbourTableWarning("local", 5000, undefined)).toBeUndefined();
  });
});
