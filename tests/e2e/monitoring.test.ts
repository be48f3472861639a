// The monitoring stack on a real lab: exporter → StatsD → carbon → graphite-web, with the viewer container.
// Grafana cannot be pulled here, so every target of every dashboard is sent to graphite-web's /render as
// Grafana's Graphite datasource sends it, and must come back with datapoints.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL, expandTarget, readDashboards } from "../../src/monitoring/dashboards.js";
import { down, planFromFile, poll, sleep, up } from "../rig/index.js";
import { Lab, REPO_ROOT, writeArtifact } from "./lab.js";

const STACK = "t-mon";
const stateDir = mkdtempSync(join(tmpdir(), "netlab-rig-mon-"));
const planOptions = { stack: STACK, subnet: "10.77.55.0/24", portBase: 25500, metricsInterval: 5, stateDir };

let lab: Lab;
let graphite: string;

type Series = { target: string; datapoints: [number | null, number][] }[];

async function render(target: string, from = "-10min"): Promise<Series> {
  // Grafana's Graphite datasource: POST /render, form-encoded, format=json.
  const response = await fetch(`${graphite}/render`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ target, from, until: "now", format: "json", maxDataPoints: "500" }),
  });
  expect(response.status, target).toBe(200);
  return (await response.json()) as Series;
}

const values = (series: Series) => series.flatMap((s) => s.datapoints.map(([v]) => v).filter((v): v is number => v !== null));
const last = async (target: string) => values(await render(target, "-1min")).at(-1);
const cli = (container: string, ...args: string[]) => JSON.parse(execFileSync("docker", ["exec", container, "bitcoin-cli", ...args], { encoding: "utf8" }));

describe("monitoring on a real lab", () => {
  beforeAll(async () => {
    await down(STACK, { stateDir });
    const { plan, credentials } = planFromFile(resolve(REPO_ROOT, "topologies/dev.yaml"), planOptions);
    lab = new Lab(plan, credentials);
    await up(plan, { credentials, stateDir, services: ["graphite", "exporter", "viewer"] });
    graphite = plan.services.find((s) => s.service === "graphite")!.url!;
    // The exporter's first round sets where the chain was; blocks mined after it are attributed to miners.
    await poll("the exporter's first metrics in Graphite", async () => ((await last("stats.gauges.n1.blocks.currentHeight")) !== undefined ? true : undefined), { timeoutMs: 60_000, intervalMs: 1000 });
    await lab.mine("n1");
    const address = await lab.wallet<string>("n1", "miner", "getnewaddress");
    await lab.wallet("n1", "miner", "sendtoaddress", address, 1);
    await sleep(12_000);
    await lab.mine("n1");
    // Enough flushes for rates (perSecond, nonNegativeDerivative) to have two points everywhere.
    await sleep(25_000);
  }, 300_000);

  afterAll(async () => {
    try {
      await down(STACK, { stateDir });
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 120_000);

  it("stores heights and peer counts equal to what the nodes say", async () => {
    for (const name of lab.names) {
      const container = lab.node(name).container;
      await poll(`${name}'s height in Graphite`, async () => ((await last(`stats.gauges.${name}.blocks.currentHeight`)) === cli(container, "getblockcount") ? true : undefined), { timeoutMs: 30_000, intervalMs: 1000 });
      expect(await last(`stats.gauges.${name}.peers.totalConnections`)).toBe(cli(container, "getconnectioncount"));
      expect(await last(`stats.gauges.${name}.up`)).toBe(1);
    }
  });

  it("attributes mined blocks to the miner that mined them", async () => {
    const mined = values(await render("stats.counters.n1.mining.blocksMined.count"));
    expect(mined.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it("answers every target of every dashboard with datapoints", async () => {
    const dashboards = readDashboards();
    expect(dashboards.length).toBe(8);
    const empty: string[] = [];
    let checked = 0;
    for (const dashboard of dashboards) {
      for (const target of dashboard.targets) {
        const query = expandTarget(target.target, ALL, lab.names);
        const series = await render(query);
        checked += 1;
        if (values(series).length === 0) empty.push(`${dashboard.file} "${target.panel}" ${target.refId}: ${query}`);
      }
    }
    writeArtifact("e2e-monitoring.json", { targetsChecked: checked, empty });
    expect(empty).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  }, 120_000);

  it("runs the viewer inside the lab network", async () => {
    const viewer = lab.plan.services.find((s) => s.service === "viewer")!.url!;
    const graph = (await (await fetch(`${viewer}/api/graph`)).json()) as { nodes: { id: string; up: boolean }[]; edges: { status: string }[] };
    expect(graph.nodes.filter((n) => n.up).map((n) => n.id).sort()).toEqual([...lab.names].sort());
    expect(graph.edges.map((e) => e.status)).toEqual(lab.plan.edges.map(() => "connected"));
  });

  it("keeps the RPC password out of every service container's configuration", async () => {
    for (const service of ["graphite", "exporter", "viewer"]) {
      const inspect = execFileSync("docker", ["inspect", `${STACK}-${service}`], { encoding: "utf8" });
      expect(inspect, service).not.toContain(lab.credentials.password);
    }
  });
});
