// The viewer against a real 10-node lab: the graph is the declared lab, changes show within one poll, details
// match bitcoin-cli, nothing can be written through it, and the page shows a hovered node's true height.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerSource, planSource } from "../../viewer/discover.js";
import { startViewer, type RunningViewer } from "../../viewer/server.js";
import type { LabGraph } from "../../viewer/types.js";
import { docker, down, planFromFile, poll, runShell, up } from "../rig/index.js";
import { launchChromium } from "../support/browser.js";
import { Lab, REPO_ROOT } from "./lab.js";

const STACK = "t-viewer";
// Knots stands in for the Core nodes: Core release tarballs cannot be fetched on these machines.
const IMAGE_OVERRIDES = { "bitcoin-netlab/bitcoind:core-29.1": "bitcoin-netlab/bitcoind:knots-29.4" };
const stateDir = mkdtempSync(join(tmpdir(), "netlab-rig-viewer-"));
const planOptions = { stack: STACK, subnet: "10.77.53.0/24", portBase: 25300, imageOverrides: IMAGE_OVERRIDES, stateDir };

let lab: Lab;
let viewer: RunningViewer;

const cli = (container: string, ...args: string[]) => JSON.parse(execFileSync("docker", ["exec", container, "bitcoin-cli", ...args], { encoding: "utf8" }));
const getJson = async <T>(path: string): Promise<T> => (await (await fetch(`${viewer.url}${path}`)).json()) as T;

/** Waits for a poll that starts after this call, and returns its graph. */
async function nextGraph(): Promise<LabGraph> {
  const after = Date.now();
  return poll("a fresh poll", async () => {
    const graph = await getJson<LabGraph>("/api/graph");
    return Date.parse(graph.polledAt) > after ? graph : undefined;
  }, { timeoutMs: 15_000, intervalMs: 200 });
}

describe("viewer on a real 10-node lab", () => {
  beforeAll(async () => {
    await down(STACK, { stateDir });
    const { plan, credentials } = planFromFile(resolve(REPO_ROOT, "topologies/regtest-10.yaml"), planOptions);
    lab = new Lab(plan, credentials);
    await up(plan, { credentials, stateDir });
    viewer = await startViewer({ source: planSource(plan, credentials.password), pollIntervalMs: 1000 });
  }, 300_000);

  afterAll(async () => {
    try {
      await viewer?.close();
      await down(STACK, { stateDir });
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 120_000);

  it("draws exactly the declared nodes and edges, all connected, on one tip", async () => {
    const graph = await nextGraph();
    expect(graph.nodes.filter((n) => n.kind === "managed").map((n) => n.id).sort()).toEqual([...lab.names].sort());
    expect(graph.nodes.filter((n) => n.kind === "external")).toEqual([]);
    expect(graph.edges.map((e) => `${e.source}->${e.target} ${e.status}`).sort()).toEqual(lab.plan.edges.map((e) => `${e.from}->${e.to} connected`).sort());
    expect(graph.edges.every((e) => e.connectionType === "manual")).toBe(true);
    expect(graph.missing).toEqual([]);
    expect(graph.undeclared).toEqual([]);
    expect(graph.tips.agree).toBe(true);
    expect(graph.tips.byHash[0]!.height).toBe(101);
  });

  it("finds the same lab from container labels alone, with declared edges from the nodes' addnode lists", async () => {
    const fromLabels = await startViewer({ source: dockerSource(STACK), pollIntervalMs: 60_000 });
    try {
      const graph = await fromLabels.watcher.refresh();
      expect(graph.source).toBe("docker");
      expect(graph.nodes.filter((n) => n.kind === "managed").map((n) => `${n.id} ${n.ip} ${n.implementation}`).sort()).toEqual(
        lab.plan.nodes.map((n) => `${n.node} ${n.ip} ${n.implementation}`).sort(),
      );
      expect(graph.edges.map((e) => `${e.source}->${e.target} ${e.status}`).sort()).toEqual(lab.plan.edges.map((e) => `${e.from}->${e.to} connected`).sort());
    } finally {
      await fromLabels.close();
    }
  });

  it("gives per-node details that match bitcoin-cli", async () => {
    const node = lab.node("relay3");
    const details = await getJson<{ node: LabGraph["nodes"][number]; snapshot: { peers: { addr: string }[] } }>("/api/nodes/relay3");
    const chain = cli(node.container, "getblockchaininfo");
    const network = cli(node.container, "getnetworkinfo");
    const peers = cli(node.container, "getpeerinfo") as { addr: string }[];
    expect(details.node).toMatchObject({
      id: "relay3",
      ip: node.ip,
      up: true,
      blocks: chain.blocks,
      headers: chain.headers,
      bestBlockHash: chain.bestblockhash,
      subversion: network.subversion,
      protocolVersion: network.protocolversion,
      peersIn: network.connections_in,
      peersOut: network.connections_out,
    });
    expect(details.snapshot.peers.map((p) => p.addr).sort()).toEqual(peers.map((p) => p.addr).sort());
    expect((await fetch(`${viewer.url}/api/nodes/nobody`)).status).toBe(404);
  });

  it("shows a removed connection as declared, not connected, within one poll, and heals when it is back", async () => {
    const edge = lab.plan.edges.find((e) => e.from === "relay5" && e.to === "relay2")!;
    await runShell("remove edge relay5->relay2", edge.delete);
    const graph = await nextGraph();
    expect(graph.missing).toEqual([{ from: "relay5", to: "relay2" }]);
    expect(graph.edges.find((e) => e.id === "relay5->relay2")!.status).toBe("declared-missing");
    await runShell("restore edge relay5->relay2", edge.create);
    await poll("relay5 -> relay2 connected again", async () => ((await nextGraph()).missing.length === 0 ? true : undefined), { timeoutMs: 90_000 });
  }, 120_000);

  it("shows a stopped node as down, keeps answering, and sees it come back", async () => {
    const observer = lab.node("observer");
    await docker().getContainer(observer.container).stop({ t: 10 });
    try {
      const graph = await nextGraph();
      const node = graph.nodes.find((n) => n.id === "observer")!;
      expect(node.up).toBe(false);
      expect(node.error).toBeTruthy();
      expect(graph.missing.map((e) => `${e.from}->${e.to}`).sort()).toEqual(["observer->miner1", "observer->relay5"]);
      expect(graph.nodes.filter((n) => n.kind === "managed" && n.id !== "observer").every((n) => n.up)).toBe(true);
      expect((await fetch(`${viewer.url}/`)).status).toBe(200);
    } finally {
      await docker().getContainer(observer.container).start();
    }
    await poll("observer back up", async () => ((await nextGraph()).nodes.find((n) => n.id === "observer")!.up ? true : undefined), { timeoutMs: 60_000 });
  }, 120_000);

  it("serves only reads: every route refuses every other method, and the lab is unchanged", async () => {
    // What a write could change: the tip, the mempool, the declared (added) peers.
    const state = (name: string) =>
      Promise.all([lab.call(name, "getbestblockhash"), lab.call<{ addednode: string }[]>(name, "getaddednodeinfo").then((added) => added.map((a) => a.addednode).sort()), lab.call<{ size: number }>(name, "getmempoolinfo").then((m) => m.size)]);
    const before = await lab.each(state);
    const routes = ["/", "/app.js", "/api/graph", "/api/nodes/miner1", "/api/events", "/api/rpc", "/api/nodes/miner1/generate", "/api/mine", "/api/send", "/api/addnode"];
    for (const route of routes) {
      for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
        const response = await fetch(`${viewer.url}${route}`, { method, headers: { "content-type": "application/json" }, body: JSON.stringify({ method: "generatetoaddress", params: [1, "x"] }) });
        expect(response.status, `${method} ${route}`).toBe(405);
      }
    }
    for (const route of ["/api/rpc", "/api/mine", "/api/nodes/miner1/generate"]) expect((await fetch(`${viewer.url}${route}`)).status, route).toBe(404);
    await nextGraph();
    const after = await lab.each(state);
    expect(after).toEqual(before);
  });

  it("streams graph updates as Server-Sent Events", async () => {
    const controller = new AbortController();
    const response = await fetch(`${viewer.url}/api/events`, { signal: controller.signal });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text.startsWith("event: graph\ndata: ")).toBe(true);
    expect(JSON.parse(text.split("data: ")[1]!.split("\n")[0]!).stack).toBe(STACK);
  });

  it("shows a hovered node's true block height in the page (Chromium)", async () => {
    const height = cli(lab.node("miner2").container, "getblockcount");
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(viewer.url);
      await page.waitForFunction(() => (window as unknown as { netlabViewer?: { nodePosition(id: string): unknown } }).netlabViewer?.nodePosition("miner2") !== undefined);
      await page.waitForTimeout(500);
      const point = await page.evaluate(() => (window as unknown as { netlabViewer: { nodePosition(id: string): { x: number; y: number } } }).netlabViewer.nodePosition("miner2"));
      await page.mouse.move(point.x, point.y);
      await page.waitForSelector('#panel td[data-field="name"]');
      expect(await page.locator('#panel td[data-field="name"]').innerText()).toBe("miner2");
      expect(await page.locator('#panel td[data-field="blocks"]').innerText()).toBe(String(height));
      expect(await page.locator("#banner").innerText()).toContain(`all nodes on one tip: height ${height}`);
      await page.screenshot({ path: resolve(REPO_ROOT, "test-artifacts/viewer-regtest-10.png") });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
