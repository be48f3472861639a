// The graphite image (carbon-cache + graphite-web + StatsD) on the real engine: StatsD gauges, counters and a
// timer sent over UDP land in Graphite under the paths images/graphite/README.md documents, and graphite-web
// answers the calls Grafana's Graphite datasource makes (POST /render form-encoded, /metrics/find, /functions).
// Needs the image: images/build.sh.
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { resolve } from "node:path";
import { promisify } from "node:util";
import StatsD from "hot-shots";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const IMAGE = "bitcoin-netlab/graphite:1";
const STACK = "t-graphite";
const CONTAINER = "t-graphite-statsd";
const VOLUME = `${CONTAINER}-data`;
const FLUSH_INTERVAL_MS = 10_000; // images/graphite/conf/statsd.js
const FIVE_YEARS_S = 5 * 365 * 86_400;

const run = promisify(execFile);

async function dockerCli(...args: string[]): Promise<string> {
  const { stdout } = await run("docker", args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

async function removeLeftovers(): Promise<void> {
  const containers = (await dockerCli("ps", "-aq", "--filter", `label=netlab.stack=${STACK}`)).split("\n").filter(Boolean);
  if (containers.length > 0) await dockerCli("rm", "-f", "-v", ...containers);
  const volumes = (await dockerCli("volume", "ls", "-q", "--filter", `label=netlab.stack=${STACK}`)).split("\n").filter(Boolean);
  if (volumes.length > 0) await dockerCli("volume", "rm", "-f", ...volumes);
}

async function until<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await attempt();
      if (result !== undefined) return result;
    } catch (error) {
      lastError = error;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
}

type Datapoint = [number | null, number];
interface Series {
  target: string;
  datapoints: Datapoint[];
}
interface FoundNode {
  text: string;
  id: string;
  leaf: number;
  expandable: number;
}

let web = "";
let statsdPort = 0;
let carbonPort = 0;
const figures: Record<string, unknown> = {};

function values(series: Series): number[] {
  return series.datapoints.map(([value]) => value).filter((value): value is number => value !== null);
}

const sum = (numbers: number[]): number => numbers.reduce((total, value) => total + value, 0);

/** /render as Grafana's Graphite datasource calls it: POST, form-encoded, format=json. */
async function render(targets: string[], method: "GET" | "POST" = "POST"): Promise<Series[]> {
  const form = new URLSearchParams([...targets.map((target) => ["target", target]), ["from", "-5min"], ["until", "now"], ["format", "json"], ["maxDataPoints", "1000"]]);
  const response =
    method === "POST"
      ? await fetch(`${web}/render`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form })
      : await fetch(`${web}/render?${form}`);
  if (!response.ok) throw new Error(`/render ${method} ${targets.join(", ")}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as Series[];
}

async function renderOne(target: string, method: "GET" | "POST" = "POST"): Promise<Series> {
  const series = await render([target], method);
  expect(series, target).toHaveLength(1);
  return series[0]!;
}

async function find(query: string): Promise<string[]> {
  const response = await fetch(`${web}/metrics/find?${new URLSearchParams({ query })}`);
  if (!response.ok) throw new Error(`/metrics/find ${query}: HTTP ${response.status}`);
  return ((await response.json()) as FoundNode[]).map((node) => node.text).sort();
}

/** Memory as `docker stats` shows it. */
async function memoryUsage(): Promise<string> {
  return dockerCli("stats", "--no-stream", "--format", "{{.MemUsage}}", CONTAINER);
}

function hostPort(ports: Record<string, { HostIp: string; HostPort: string }[] | null>, port: string): number {
  const binding = ports[port]?.[0];
  if (!binding) throw new Error(`${port} is not published`);
  expect(binding.HostIp, `${port} published on loopback only`).toBe("127.0.0.1");
  return Number(binding.HostPort);
}

// What the test sends; expected Graphite paths per README.md: stats.gauges.<name>, stats.counters.<name>.{count,rate},
// stats.timers.<name>.{count,lower,mean,median,upper,upper_90}.
const GAUGES = { "t1.peers.totalConnections": 8, "t2.peers.totalConnections": 5, "t1.blocks.currentHeight": 101, "t1.mempool.usageRatio": 0.25 };
const COUNTER = "t1.bandwidth.message.ping.bytesSent";
const COUNTER_INCREMENTS = [32, 32, 32, 64];
const TIMER = "t1.rpc.getpeerinfo";
const TIMER_VALUES = [12, 7, 30, 5, 18, 9, 22, 14, 11, 40];

async function sendStatsd(): Promise<void> {
  const client = new StatsD({ host: "127.0.0.1", port: statsdPort, protocol: "udp", errorHandler: (error) => console.error(error) });
  const sent = (send: (callback: (error?: Error) => void) => void) =>
    new Promise<void>((done, fail) => send((error) => (error ? fail(error) : done())));
  const sends: Promise<void>[] = [];
  for (const [name, value] of Object.entries(GAUGES)) sends.push(sent((callback) => client.gauge(name, value, callback)));
  for (const value of COUNTER_INCREMENTS) sends.push(sent((callback) => client.increment(COUNTER, value, callback)));
  for (const value of TIMER_VALUES) sends.push(sent((callback) => client.timing(TIMER, value, callback)));
  await Promise.all(sends);
  await new Promise<void>((done) => client.close(() => done()));
}

describe("graphite image: StatsD → carbon → graphite-web", () => {
  beforeAll(async () => {
    await dockerCli("image", "inspect", IMAGE).catch(() => {
      throw new Error(`image ${IMAGE} is missing: build it with images/build.sh`);
    });
    await removeLeftovers();
    await dockerCli("volume", "create", "--label", `netlab.stack=${STACK}`, VOLUME);
    const started = Date.now();
    await dockerCli(
      "run", "-d", "--name", CONTAINER, "--label", `netlab.stack=${STACK}`,
      "--mount", `type=volume,source=${VOLUME},target=/var/lib/graphite`,
      "-p", "127.0.0.1::8080/tcp", "-p", "127.0.0.1::8125/udp", "-p", "127.0.0.1::2003/tcp",
      IMAGE,
    );
    await until("the container to become healthy", 60_000, async () => {
      const state = JSON.parse(await dockerCli("inspect", "-f", "{{json .State}}", CONTAINER)) as { Status: string; Health?: { Status: string } };
      if (state.Status !== "running") throw new Error(`container is ${state.Status}: ${await dockerCli("logs", "--tail", "30", CONTAINER)}`);
      return state.Health?.Status === "healthy" ? true : undefined;
    });
    figures.healthyAfterMs = Date.now() - started;
    const ports = JSON.parse(await dockerCli("inspect", "-f", "{{json .NetworkSettings.Ports}}", CONTAINER));
    web = `http://127.0.0.1:${hostPort(ports, "8080/tcp")}`;
    statsdPort = hostPort(ports, "8125/udp");
    carbonPort = hostPort(ports, "2003/tcp");
    figures.memoryIdle = await memoryUsage();

    const sentAt = Date.now();
    await sendStatsd();
    // At the next flush (≤ 10 s) the points reach carbon's cache, which graphite-web reads through carbonlink.
    await until("the gauges in /render", 3 * FLUSH_INTERVAL_MS, async () => {
      const series = await render(Object.keys(GAUGES).map((name) => `stats.gauges.${name}`));
      return series.length === Object.keys(GAUGES).length && series.every((one) => values(one).length > 0) ? true : undefined;
    });
    figures.visibleAfterMs = Date.now() - sentAt;
  }, 120_000);

  afterAll(async () => {
    try {
      figures.memoryAfterWrites = await memoryUsage().catch((error) => String(error));
    } finally {
      await removeLeftovers();
      mkdirSync(resolve(import.meta.dirname, "../../test-artifacts"), { recursive: true });
      writeFileSync(resolve(import.meta.dirname, "../../test-artifacts/e2e-graphite.json"), `${JSON.stringify(figures, null, 2)}\n`);
    }
  }, 60_000);

  it("stores each gauge under stats.gauges.<name> with its exact value, for GET and POST /render", async () => {
    for (const [name, value] of Object.entries(GAUGES)) {
      for (const method of ["GET", "POST"] as const) {
        const series = await renderOne(`stats.gauges.${name}`, method);
        expect(series.target).toBe(`stats.gauges.${name}`);
        // 10 s points over the last 5 minutes; the gauge is held for 6 flushes, then dropped (deleteIdleStats).
        expect(series.datapoints.length).toBeGreaterThanOrEqual(29);
        expect(new Set(values(series)), `${method} ${name}`).toEqual(new Set([value]));
      }
    }
  });

  it("stores a counter as stats.counters.<name>.count (per flush) and .rate (per second)", async () => {
    expect(await find(`stats.counters.${COUNTER}.*`)).toEqual(["count", "rate"]);
    const total = sum(COUNTER_INCREMENTS);
    const count = await until("every increment of the counter", 2 * FLUSH_INTERVAL_MS, async () => {
      const series = await renderOne(`stats.counters.${COUNTER}.count`);
      return sum(values(series)) === total ? series : undefined;
    });
    const rate = await renderOne(`stats.counters.${COUNTER}.rate`);
    const perFlush = values(rate).map((perSecond) => Math.round(perSecond * (FLUSH_INTERVAL_MS / 1000) * 1e6) / 1e6);
    expect(perFlush).toEqual(values(count));
    // An idle counter is not sent as 0 (deleteIdleStats): only flushes that saw increments have points.
    expect(values(count).every((perFlush) => perFlush > 0)).toBe(true);
  });

  it("stores a timer as six series under stats.timers.<name>, with percentile 90 only", async () => {
    expect(await find(`stats.timers.${TIMER}.*`)).toEqual(["count", "lower", "mean", "median", "upper", "upper_90"]);
    const [count, lower, upper, upper90, mean] = await Promise.all(
      ["count", "lower", "upper", "upper_90", "mean"].map((leaf) => renderOne(`stats.timers.${TIMER}.${leaf}`)),
    );
    expect(sum(values(count!))).toBe(TIMER_VALUES.length);
    expect(Math.min(...values(lower!))).toBe(Math.min(...TIMER_VALUES));
    expect(Math.max(...values(upper!))).toBe(Math.max(...TIMER_VALUES));
    const sorted = [...TIMER_VALUES].sort((a, b) => a - b);
    // All ten values were sent within a millisecond, so they fall into one flush.
    expect(values(upper90!)).toEqual([sorted[Math.round(0.9 * sorted.length) - 1]]);
    expect(values(mean!)).toEqual([sum(TIMER_VALUES) / TIMER_VALUES.length]);
  });

  it("lists the nodes under stats.gauges.* (and StatsD's own statistics under _statsd)", async () => {
    // StatsD's own gauge (_statsd.timestamp_lag) appears from its second flush on.
    expect((await find("stats.gauges.*")).filter((name) => name !== "_statsd")).toEqual(["t1", "t2"]);
    expect(await find("stats.gauges.t1.*")).toEqual(["blocks", "mempool", "peers"]);
    expect(await find("stats.*")).toEqual(["_statsd", "counters", "gauges", "timers"]);
  });

  it("evaluates the functions dashboards use", async () => {
    const byNode = await render(["aliasByNode(stats.gauges.*.peers.totalConnections, 2)"]);
    expect(byNode.map((series) => [series.target, [...new Set(values(series))]])).toEqual([["t1", [8]], ["t2", [5]]]);

    const total = await renderOne("alias(sumSeries(stats.gauges.*.peers.totalConnections), 'all')");
    expect(total.target).toBe("all");
    expect(new Set(values(total))).toEqual(new Set([13]));

    const grouped = await render(["groupByNode(stats.gauges.*.*.*, 2, 'sumSeries')"]);
    expect(grouped.map((series) => series.target)).toEqual(["t1", "t2"]);

    const perSecond = await renderOne(`perSecond(stats.counters.${COUNTER}.count)`);
    expect(perSecond.datapoints.length).toBeGreaterThan(0);
    const derivative = await renderOne("nonNegativeDerivative(stats.gauges.t1.blocks.currentHeight)");
    expect(values(derivative).every((value) => value === 0)).toBe(true);

    const response = await fetch(`${web}/functions`);
    expect(response.status).toBe(200);
    const functions = (await response.json()) as Record<string, { name: string; group: string }>;
    for (const name of ["aliasByNode", "sumSeries", "groupByNode", "perSecond", "nonNegativeDerivative", "scale", "movingAverage"]) {
      expect(functions[name]?.name, name).toBe(name);
    }
  });

  it("accepts carbon's plaintext protocol on 2003", async () => {
    const now = Math.floor(Date.now() / 1000);
    await new Promise<void>((done, fail) => {
      const socket = connect(carbonPort, "127.0.0.1", () => socket.end(`t-direct.answer 42 ${now}\n`));
      socket.on("close", () => done());
      socket.on("error", fail);
    });
    const series = await until("the plaintext point", 15_000, async () => {
      const rendered = await render(["t-direct.answer"]);
      return rendered[0] && values(rendered[0]).length > 0 ? rendered[0] : undefined;
    });
    expect(values(series)).toEqual([42]);
  });

  it("creates whisper files with the seed's retention and StatsD's aggregation, internal stats cheaper", async () => {
    const files = {
      gauge: "stats/gauges/t1/peers/totalConnections.wsp",
      count: `stats/counters/${COUNTER.replaceAll(".", "/")}/count.wsp`,
      rate: `stats/counters/${COUNTER.replaceAll(".", "/")}/rate.wsp`,
      upper: `stats/timers/${TIMER.replaceAll(".", "/")}/upper.wsp`,
      internal: "stats/_statsd/numStats.wsp",
    };
    const script = [
      "import json, os, sys, whisper",
      "root = '/var/lib/graphite/whisper/'",
      "out = {}",
      "for key, path in json.loads(sys.argv[1]).items():",
      "    info = whisper.info(root + path); st = os.stat(root + path)",
      "    out[key] = {'aggregation': info['aggregationMethod'], 'maxRetention': info['maxRetention'],",
      "                'archives': [(a['secondsPerPoint'], a['points']) for a in info['archives']],",
      "                'bytes': st.st_size, 'allocatedBytes': st.st_blocks * 512}",
      "print(json.dumps(out))",
    ].join("\n");
    const info = JSON.parse(await dockerCli("exec", CONTAINER, "python3", "-c", script, JSON.stringify(files))) as Record<
      keyof typeof files,
      { aggregation: string; maxRetention: number; archives: [number, number][]; bytes: number; allocatedBytes: number }
    >;
    figures.whisper = info;
    expect(info.gauge.archives).toEqual([[10, 2160], [60, 10080], [600, 262800]]); // 10s:6h,1m:7d,10m:5y
    expect(info.gauge.maxRetention).toBe(FIVE_YEARS_S);
    expect(info.gauge.aggregation).toBe("average");
    expect(info.count.aggregation).toBe("sum");
    expect(info.rate.aggregation).toBe("average");
    expect(info.upper.aggregation).toBe("max");
    expect(info.internal.archives).toEqual([[10, 2160], [60, 10080]]);
    // Sparse files: 3.15 MiB long, a few KiB on disk until the archives fill.
    expect(info.gauge.bytes).toBe(52 + (2160 + 10080 + 262800) * 12);
    expect(info.gauge.allocatedBytes).toBeLessThan(64 * 1024);
  });
});
