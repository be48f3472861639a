// Link conditions on a real regtest lab (stack t-link): a line n1 - n2 - n3 - n4 with 100 ms latency on n2 → n3
// (a relay in n2's container, as this kernel has no netem), 1 mbit on n3 → n4 (tbf in both containers), and a
// side branch n5 → n4 with 20 % loss (iptables drops in n5).
// Blocks mined at n1 must reach n3 about 100 ms after n2, before and after a restart; without the latency the
// same gap is small. Everything is labelled netlab.stack=t-link and removed at the end, also on failure.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPropagation } from "../../src/experiments/propagation.js";
import type { PropagationResult } from "../../src/experiments/propagation-analysis.js";
import { docker, down, execIn, lastLogLines, planFromFile, poll, unconnectedEdges, up } from "../rig/index.js";
import { Lab, writeArtifact } from "./lab.js";

const STACK = "t-link";
/** Set NETLAB_LINK_IMAGE to try an image build under another tag before it replaces the shared one. */
const IMAGE = process.env.NETLAB_LINK_IMAGE;
const stateDir = mkdtempSync(join(tmpdir(), "netlab-rig-link-"));
const scratch = mkdtempSync(join(tmpdir(), "netlab-link-"));
const figures: Record<string, unknown> = {};
let lab: Lab;

function topology(conditioned: boolean): string {
  const file = join(scratch, `line-${conditioned ? "slow" : "plain"}.yaml`);
  writeFileSync(
    file,
    [
      "name: link-line",
      "chain: regtest",
      "nodes: [{ name: n1, role: miner }, { name: n2 }, { name: n3 }, { name: n4 }, { name: n5 }]",
      "edges:",
      "  - { from: n1, to: n2 }",
      `  - { from: n2, to: n3${conditioned ? ", latency: 100ms" : ""} }`,
      `  - { from: n3, to: n4${conditioned ? ", bandwidth: 1mbit" : ""} }`,
      `  - { from: n5, to: n4${conditioned ? ", loss: 20%" : ""} }`,
      "",
    ].join("\n"),
  );
  return file;
}

async function deploy(conditioned: boolean): Promise<void> {
  const { plan, credentials } = planFromFile(topology(conditioned), {
    stack: STACK,
    subnet: "10.77.64.0/24",
    portBase: 29000,
    stateDir,
    ...(IMAGE ? { imageOverrides: { "bitcoin-netlab/bitcoind:knots-29.4": IMAGE } } : {}),
  });
  lab = new Lab(plan, credentials);
  await up(plan, { credentials, stateDir, edgeTimeoutMs: 120_000 });
}

/** Median over blocks of (first seen at `behind`) − (first seen at `before`), in ms. */
function medianGap(result: PropagationResult, before: string, behind: string): number {
  const gaps = result.items.map((item) => item.firstSeenMs[behind]! - item.firstSeenMs[before]!).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}

async function propagation(name: string): Promise<PropagationResult> {
  const { result } = await runPropagation({
    stack: STACK, blocks: 7, txs: 0, miner: "n1", seed: 1, outDir: join(scratch, name), method: "zmq", timeoutMs: 30_000, log: () => undefined,
  });
  for (const item of result.items) expect(item.reached, `${item.id} reached`).toBe(5);
  figures[name] = {
    perBlockMs: result.items.map((item) => item.firstSeenMs),
    gaps: { n1n2: medianGap(result, "n1", "n2"), n2n3: medianGap(result, "n2", "n3"), n3n4: medianGap(result, "n3", "n4") },
    edges: result.edges,
  };
  return result;
}

const exec = async (container: string, ...cmd: string[]) => {
  const out = await execIn(container, cmd);
  expect(out.exitCode, `${cmd.join(" ")}: ${out.stderr}`).toBe(0);
  return out.stdout;
};

/** Pushes `bytes` from n3 to a listener in n4 (inside their own namespaces) and returns the rate in kbit/s. */
async function transferKbit(bytes: number): Promise<number> {
  const n3 = lab.node("n3");
  const n4 = lab.node("n4");
  const sink = "require('net').createServer((s)=>{let n=0;s.on('data',(c)=>n+=c.length);s.on('end',()=>{s.end(String(n))})}).listen(19999)";
  await docker().getContainer(n4.container).exec({ Cmd: ["node", "-e", `${sink};setTimeout(()=>process.exit(0),60000)`], AttachStdout: false }).then((e) => e.start({ Detach: true }));
  const send =
    `const s=require('net').connect(19999,'${n4.ip}',()=>{const t=Date.now();s.end(Buffer.alloc(${bytes}));` +
    `let r='';s.on('data',(c)=>r+=c);s.on('end',()=>{console.log(JSON.stringify({ms:Date.now()-t,got:Number(r)}))})});`;
  const out = await poll("a transfer from n3 to n4", async () => {
    const result = await execIn(n3.container, ["node", "-e", send]);
    return result.exitCode === 0 && result.stdout.trim() !== "" ? (JSON.parse(result.stdout) as { ms: number; got: number }) : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  expect(out.got).toBe(bytes);
  return (bytes * 8) / out.ms;
}

describe("link conditions on a real lab", () => {
  beforeAll(async () => {
    await down(STACK, { stateDir });
    await deploy(true);
  }, 240_000);

  afterAll(async () => {
    try {
      await down(STACK, { stateDir });
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
      writeArtifact("e2e-link-conditions.json", figures);
    }
    const left = execFileSync("docker", ["ps", "-aq", "--filter", `label=netlab.stack=${STACK}`], { encoding: "utf8" }).trim();
    expect(left).toBe("");
  }, 120_000);

  it("relays the slow edge in n2's container and keeps the lab's connections to the declared ones", async () => {
    const n2Peers = await lab.call<{ addr: string; inbound: boolean }[]>("n2", "getpeerinfo");
    expect(n2Peers.map((p) => `${p.inbound ? "in" : "out"} ${p.inbound ? p.addr.split(":")[0] : p.addr}`).sort()).toEqual(["in 10.77.64.10", "out 127.0.0.1:40002"]);
    const n3Peers = await lab.call<{ addr: string; inbound: boolean }[]>("n3", "getpeerinfo");
    // n3 sees the relay's connection from n2's address.
    expect(n3Peers.filter((p) => p.inbound).map((p) => p.addr.split(":")[0])).toEqual(["10.77.64.11"]);
    const logs = await lastLogLines(lab.node("n2").container, 100_000);
    expect(logs).toContain("netlab-link: fallback: 0 command(s) applied, 1 relay(s) to start");
    expect(logs).toContain("relay 127.0.0.1:40002 → 10.77.64.12:18444 (n3), 100ms ±0ms each way");
    expect((await docker().getContainer(lab.node("n1").container).inspect()).HostConfig.CapAdd ?? null).toBeNull();
    expect((await docker().getContainer(lab.node("n2").container).inspect()).HostConfig.CapAdd).toEqual(["NET_ADMIN"]);
  });

  it("delays blocks behind the 100 ms edge by about 100 ms", async () => {
    const result = await propagation("slow");
    expect(result.edges).toContainEqual({ from: "n2", to: "n3", link: { latencyMs: 100 } });
    const slow = medianGap(result, "n2", "n3");
    expect(slow).toBeGreaterThanOrEqual(60);
    expect(slow).toBeLessThanOrEqual(250);
    expect(medianGap(result, "n1", "n2")).toBeLessThan(50);
  }, 120_000);

  it("installs tbf at the planned rate on both ends of the 1 mbit edge, and a transfer is held to it", async () => {
    for (const [node, peer] of [["n3", "n4"], ["n4", "n3"]] as const) {
      const qdiscs = await exec(lab.node(node).container, "tc", "-s", "qdisc", "show", "dev", "eth0");
      expect(qdiscs, node).toMatch(/qdisc htb 1: root/);
      expect(qdiscs, node).toMatch(/qdisc tbf [0-9a-f]+: parent 1:[0-9a-f]+ rate 1Mbit burst 4Kb lat 500ms/);
      const filters = await exec(lab.node(node).container, "tc", "filter", "show", "dev", "eth0");
      const hex = lab.node(peer).ip.split(".").map((octet) => Number(octet).toString(16).padStart(2, "0")).join("");
      expect(filters, node).toContain(`match ${hex}/ffffffff at 16`);
    }
    const kbit = await transferKbit(400_000);
    figures.transferKbit = kbit;
    expect(kbit).toBeGreaterThan(700);
    expect(kbit).toBeLessThan(1300);
  }, 90_000);

  it("drops packets on the lossy edge with iptables in the dialling node, and TCP still delivers", async () => {
    const rules = await exec(lab.node("n5").container, "iptables", "-S");
    const n4 = lab.node("n4").ip;
    expect(rules).toContain(`-A OUTPUT -d ${n4}/32 -p tcp -m tcp --dport 18444 -m statistic --mode random --probability 0.2`);
    expect(rules).toContain(`-A INPUT -s ${n4}/32 -p tcp -m tcp --sport 18444 -m statistic --mode random --probability 0.2`);
    // The propagation runs above carried blocks to n5 over this edge; some of its packets were dropped.
    const counters = await exec(lab.node("n5").container, "iptables", "-L", "-v", "-n", "-x");
    const dropped = [...counters.matchAll(/^\s*(\d+)\s+\d+\s+DROP/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    figures.lossDroppedPackets = dropped;
    expect(dropped).toBeGreaterThan(0);
    expect(await lab.call<number>("n5", "getblockcount")).toBe(await lab.call<number>("n1", "getblockcount"));
  });

  it("keeps the conditions after the nodes restart", async () => {
    await Promise.all(["n2", "n3", "n4", "n5"].map((name) => docker().getContainer(lab.node(name).container).restart({ t: 30 })));
    await poll("the lab's edges to reconnect after the restart", async () => ((await unconnectedEdges(lab.plan.edges, new Map(lab.plan.nodes.map((n) => [n.node, n.container])))).length === 0 ? true : undefined), {
      timeoutMs: 150_000,
      intervalMs: 1000,
    });
    const qdiscs = await exec(lab.node("n3").container, "tc", "qdisc", "show", "dev", "eth0");
    expect(qdiscs).toMatch(/qdisc tbf [0-9a-f]+: parent 1:[0-9a-f]+ rate 1Mbit/);
    expect(await exec(lab.node("n5").container, "iptables", "-S")).toContain("--probability 0.2");
    const result = await propagation("slow-after-restart");
    const slow = medianGap(result, "n2", "n3");
    expect(slow).toBeGreaterThanOrEqual(60);
    expect(slow).toBeLessThanOrEqual(250);
  }, 240_000);

  it("without the latency, the same gap is small", async () => {
    await deploy(false);
    expect((await docker().getContainer(lab.node("n2").container).inspect()).HostConfig.CapAdd ?? null).toBeNull();
    const result = await propagation("plain");
    expect(result.edges.every((edge) => edge.link === undefined)).toBe(true);
    expect(medianGap(result, "n2", "n3")).toBeLessThan(50);
  }, 240_000);
});
