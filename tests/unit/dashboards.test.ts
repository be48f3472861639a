// The Grafana dashboards in dashboards/*.json: valid for current Grafana, every query on the provisioned Graphite
// datasource, and every Graphite target naming only series the exporter produces. Grafana cannot run here, so
// the targets are checked against the exporter's own metric names (and, end to end, against graphite-web).
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { nodeGauges, systemGauges, type NodeReadings } from "../../src/exporter/metrics.js";
import { ALL, DASHBOARDS_DIR, dashboardFiles, expandTarget, readDashboards } from "../../src/monitoring/dashboards.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const DATASOURCE = { type: "graphite", uid: "netlab-graphite" };
const PANEL_TYPES = new Set(["timeseries", "stat", "table"]);
const EXPECTED_UIDS: Record<string, string> = {
  "bandwidth.json": "netlab-bandwidth",
  "blocks.json": "netlab-blocks",
  "mempool.json": "netlab-mempool",
  "network.json": "netlab-network",
  "node.json": "netlab-node",
  "peers.json": "netlab-peers",
  "system.json": "netlab-system",
  "transactions.json": "netlab-transactions",
};
/** The statoshi set: one or more nodes at a time, All included. */
const MULTI_NODE = ["bandwidth.json", "blocks.json", "mempool.json", "peers.json", "system.json", "transactions.json"];

// Functions these dashboards may use: all present in graphite-web 1.1.10 (its /functions lists them).
const GRAPHITE_FUNCTIONS = new Set([
  "alias", "aliasByMetric", "aliasByNode", "aliasSub", "asPercent", "averageSeries", "consolidateBy", "derivative",
  "diffSeries", "exclude", "groupByNode", "groupByNodes", "highestCurrent", "integral", "keepLastValue", "maxSeries",
  "minSeries", "movingAverage", "nonNegativeDerivative", "perSecond", "scale", "sortByName", "sumSeries", "transformNull",
]);
const RATE_FUNCTIONS = new Set(["perSecond", "nonNegativeDerivative"]);

// ---------------------------------------------------------------- what the exporter emits

const LAB_NODES = new Map([["10.77.1.11", "n2"], ["10.77.1.12", "n3"]]);

function sampleReadings(): NodeReadings {
  return {
    chain: { blocks: 120, headers: 121, verificationprogress: 0.99, size_on_disk: 45_000 },
    tip: { size: 250, weight: 892, nTx: 2 },
    network: { connections: 3, connections_in: 1, connections_out: 2 },
    peers: [
      { addr: "10.77.1.11:18444", network: "ipv4", pingtime: 0.0012, bytessent_per_msg: { inv: 610, ping: 32, tx: 2_000 }, bytesrecv_per_msg: { inv: 427, pong: 32, block: 9_000 } },
      { addr: "10.77.1.12:18444", network: "not_publicly_routable", pingtime: 0.002, bytessent_per_msg: { headers: 106, version: 127 }, bytesrecv_per_msg: { verack: 24 } },
      { addr: "[2001:db8::5]:8333", network: "ipv6", bytessent_per_msg: { getdata: 61 }, bytesrecv_per_msg: { addrv2: 40 } },
    ],
    totals: { totalbytesrecv: 9_523, totalbytessent: 2_936 },
    mempool: { size: 4, bytes: 900, usage: 4_800, mempoolminfee: 0.00001 },
    memory: { locked: { used: 0, total: 65_536 } },
    tips: [{ height: 120, branchlen: 0, status: "active" }, { height: 119, branchlen: 1, status: "valid-fork" }],
    mining: { difficulty: 4.6e-10, networkhashps: 8 },
  };
}

const GAUGE_NAMES = Object.keys({
  ...nodeGauges(sampleReadings(), LAB_NODES),
  ...systemGauges({ cpuPercent: 2.5, memoryBytes: 44_000_000, netRxBytes: 10_000, netTxBytes: 3_000 }),
});

/** The exporter's counters, as it sends them: `this.statsd.increment(`${miner}.<name>`, …)`. */
function counterNames(): string[] {
  const source = readFileSync(join(repoRoot, "src/exporter/exporter.ts"), "utf8");
  return [...source.matchAll(/\.increment\(`\$\{\w+\}\.([\w.]+)`/g)].map((m) => m[1]!);
}
/** StatsD writes each counter as <name>.count (sum per flush) and <name>.rate (per second). */
const COUNTER_SERIES = counterNames().flatMap((name) => [`${name}.count`, `${name}.rate`]);

// ---------------------------------------------------------------- Graphite target parsing

type Expr =
  | { kind: "call"; name: string; args: Expr[] }
  | { kind: "path"; path: string }
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "constant"; value: string };

/** A small parser for Graphite's target grammar: calls, metric paths (globs allowed), strings, numbers. */
function parseTarget(text: string): Expr {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at ${at} in ${text}`);
  };
  const skipSpace = () => {
    while (at < text.length && /\s/.test(text[at]!)) at++;
  };
  const expression = (): Expr => {
    skipSpace();
    const quote = text[at];
    if (quote === "'" || quote === '"') {
      let value = "";
      for (at++; at < text.length && text[at] !== quote; at++) {
        if (text[at] === "\\") value += text[at++];
        value += text[at];
      }
      if (text[at] !== quote) fail("unterminated string");
      at++;
      return { kind: "string", value };
    }
    const call = /^([A-Za-z_]\w*)\s*\(/.exec(text.slice(at));
    if (call) {
      at += call[0].length;
      const args: Expr[] = [];
      skipSpace();
      if (text[at] === ")") at++;
      else {
        for (;;) {
          args.push(expression());
          skipSpace();
          if (text[at] === ",") at++;
          else if (text[at] === ")") {
            at++;
            break;
          } else fail("expected , or )");
        }
      }
      return { kind: "call", name: call[1]!, args };
    }
    // A path or a bare word: up to a comma or parenthesis outside {…}.
    const start = at;
    let braces = 0;
    for (; at < text.length; at++) {
      const c = text[at]!;
      if (c === "{") braces++;
      else if (c === "}") braces--;
      else if (braces === 0 && (c === "," || c === ")" || /\s/.test(c))) break;
    }
    const word = text.slice(start, at);
    if (word === "") fail("expected an expression");
    if (/^-?\d+(\.\d+)?([eE]-?\d+)?$/.test(word)) return { kind: "number", value: Number(word) };
    if (/^(true|false|None)$/i.test(word)) return { kind: "constant", value: word };
    return { kind: "path", path: word };
  };
  const parsed = expression();
  skipSpace();
  if (at !== text.length) fail("trailing text");
  return parsed;
}

/** Every metric path in an expression, with the functions it is wrapped in (outermost first). */
function pathsOf(expr: Expr, callers: string[] = []): { path: string; callers: string[] }[] {
  if (expr.kind === "path") return [{ path: expr.path, callers }];
  if (expr.kind === "call") return expr.args.flatMap((arg) => pathsOf(arg, [...callers, expr.name]));
  return [];
}

function functionsOf(expr: Expr): string[] {
  return expr.kind === "call" ? [expr.name, ...expr.args.flatMap(functionsOf)] : [];
}

/** One Graphite glob segment (`*`, `?`, `{a,b}`, `[0-9]`) as a regular expression. */
function segmentPattern(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") source += "[^.]*";
    else if (c === "?") source += "[^.]";
    else if (c === "{") {
      const end = glob.indexOf("}", i);
      source += `(?:${glob.slice(i + 1, end).split(",").map(escapeRegExp).join("|")})`;
      i = end;
    } else if (c === "[") {
      const end = glob.indexOf("]", i);
      source += glob.slice(i, end + 1);
      i = end;
    } else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Whether a glob (segments after the node) matches at least one of the metric names. */
function matchesSome(globSegments: string[], names: string[]): boolean {
  const patterns = globSegments.map(segmentPattern);
  return names.some((name) => {
    const segments = name.split(".");
    return segments.length === patterns.length && patterns.every((pattern, i) => pattern.test(segments[i]!));
  });
}

/** Why a metric path is not one the exporter emits, or undefined when it is. */
function pathProblem(path: string, nodeSegments: readonly string[]): string | undefined {
  const [root, kind, node, ...rest] = path.split(".");
  if (root !== "stats" || (kind !== "gauges" && kind !== "counters")) return "does not start with stats.gauges. or stats.counters.";
  if (node === undefined || !nodeSegments.includes(node)) return `node segment ${node} is not one of ${nodeSegments.join(", ")}`;
  const names = kind === "gauges" ? GAUGE_NAMES : COUNTER_SERIES;
  return matchesSome(rest, names) ? undefined : `${rest.join(".")} matches no ${kind === "gauges" ? "gauge" : "counter"} the exporter sends`;
}

// ---------------------------------------------------------------- dashboard JSON

interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: unknown;
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: { refId?: string; target?: string; datasource?: unknown }[];
  panels?: Panel[];
}

interface Variable {
  name: string;
  type: string;
  datasource?: unknown;
  query?: string | { target?: string };
  regex?: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
}

interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  time: { from: string; to: string };
  refresh: string;
  templating?: { list: Variable[] };
  panels: Panel[];
}

const files = dashboardFiles();
const raw = new Map(files.map((file) => [file, readFileSync(join(DASHBOARDS_DIR, file), "utf8")]));
const dashboards = new Map(files.map((file) => [file, JSON.parse(raw.get(file)!) as Dashboard]));

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** Every value stored under a "datasource" key anywhere in the JSON. */
function datasourceRefs(value: unknown, where = "$"): { where: string; ref: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => datasourceRefs(item, `${where}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === "datasource" ? [{ where: `${where}.${key}`, ref: child }] : datasourceRefs(child, `${where}.${key}`),
  );
}

/** A Grafana variable regex ("/…/flags") as a RegExp. */
function variableRegex(text: string): RegExp {
  const match = /^\/(.*)\/([gimsuy]*)$/.exec(text);
  if (!match) throw new Error(`${text} is not a /regex/`);
  return new RegExp(match[1]!, match[2]);
}

function nodeVariable(dashboard: Dashboard): Variable | undefined {
  return dashboard.templating?.list.find((variable) => variable.name === "node");
}

function overlaps(a: NonNullable<Panel["gridPos"]>, b: NonNullable<Panel["gridPos"]>): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

describe("dashboards/*.json", () => {
  it("are the statoshi set, a per-node overview and the network overview, each with its stable uid", () => {
    expect(files).toEqual(Object.keys(EXPECTED_UIDS).sort());
    for (const [file, dashboard] of dashboards) expect(dashboard.uid, file).toBe(EXPECTED_UIDS[file]);
  });

  it("are current Grafana dashboards: schemaVersion ≥ 39, title, netlab tag, last hour refreshed every 10 s", () => {
    const titles = new Set<string>();
    for (const [file, dashboard] of dashboards) {
      expect(dashboard.schemaVersion, file).toBeGreaterThanOrEqual(39);
      expect(dashboard.title, file).toMatch(/\S/);
      expect(titles.has(dashboard.title), `${file}: title "${dashboard.title}" used twice`).toBe(false);
      titles.add(dashboard.title);
      expect(dashboard.tags, file).toContain("netlab");
      expect(dashboard.time, file).toEqual({ from: "now-1h", to: "now" });
      expect(dashboard.refresh, file).toBe("10s");
    }
  });

  it("reference the Graphite datasource by uid everywhere, never by name or import placeholder", () => {
    for (const [file, dashboard] of dashboards) {
      expect(raw.get(file), file).not.toMatch(/\$\{DS_/);
      expect(dashboard, file).not.toHaveProperty("__inputs");
      const refs = datasourceRefs(dashboard);
      expect(refs.length, file).toBeGreaterThan(0);
      for (const { where, ref } of refs) expect(ref, `${file} ${where}`).toEqual(DATASOURCE);
      for (const panel of allPanels(dashboard.panels)) {
        expect(panel.datasource, `${file} panel "${panel.title}"`).toEqual(DATASOURCE);
        for (const target of panel.targets ?? []) expect(target.datasource, `${file} "${panel.title}" ${target.refId}`).toEqual(DATASOURCE);
      }
    }
  });

  it("have a node variable from stats.gauges.* without StatsD's own _statsd (all but the network overview)", () => {
    for (const [file, dashboard] of dashboards) {
      const variable = nodeVariable(dashboard);
      if (file === "network.json") {
        expect(dashboard.templating?.list ?? [], file).toEqual([]);
        continue;
      }
      expect(variable, file).toBeDefined();
      expect(variable!.type, file).toBe("query");
      expect(variable!.datasource, file).toEqual(DATASOURCE);
      const query = typeof variable!.query === "string" ? variable!.query : variable!.query?.target;
      expect(query, file).toBe("stats.gauges.*");
      const regex = variableRegex(variable!.regex ?? "");
      for (const node of ["n1", "relay-10", "miner1", "statsd"]) expect(regex.test(node), `${file}: ${node}`).toBe(true);
      expect(regex.test("_statsd"), file).toBe(false);
      if (MULTI_NODE.includes(file)) {
        expect(variable, file).toMatchObject({ multi: true, includeAll: true });
        // No custom All value: Grafana then sends {n1,n2,…} of the listed nodes; "*" would take in _statsd.
        expect(variable!.allValue ?? null, file).toBeNull();
      } else {
        // node.json shows one node: the viewer links to it with ?var-node=<name>.
        expect(variable, file).toMatchObject({ multi: false, includeAll: false });
      }
    }
  });

  it("have panels of known types, unique ids, each with targets, laid out on the 24-column grid without overlaps", () => {
    for (const [file, dashboard] of dashboards) {
      const panels = allPanels(dashboard.panels);
      expect(panels.length, file).toBeGreaterThan(0);
      expect(new Set(panels.map((panel) => panel.id)).size, `${file}: panel ids`).toBe(panels.length);
      for (const panel of panels) {
        const name = `${file} panel "${panel.title}"`;
        expect(PANEL_TYPES.has(panel.type), `${name}: type ${panel.type}`).toBe(true);
        expect(panel.title, name).toMatch(/\S/);
        const targets = panel.targets ?? [];
        expect(targets.length, name).toBeGreaterThan(0);
        expect(new Set(targets.map((target) => target.refId)).size, `${name}: refIds`).toBe(targets.length);
        for (const target of targets) {
          expect(target.refId, name).toMatch(/^[A-Z]$/);
          expect(typeof target.target, name).toBe("string");
        }
        const grid = panel.gridPos;
        expect(grid, name).toBeDefined();
        for (const key of ["x", "y", "w", "h"] as const) expect(Number.isInteger(grid![key]), `${name}: gridPos.${key}`).toBe(true);
        expect(grid!.x, name).toBeGreaterThanOrEqual(0);
        expect(grid!.y, name).toBeGreaterThanOrEqual(0);
        expect(grid!.w, name).toBeGreaterThan(0);
        expect(grid!.h, name).toBeGreaterThan(0);
        expect(grid!.x + grid!.w, name).toBeLessThanOrEqual(24);
      }
      for (const [i, a] of panels.entries()) {
        for (const b of panels.slice(i + 1)) {
          expect(overlaps(a.gridPos!, b.gridPos!), `${file}: "${a.title}" overlaps "${b.title}"`).toBe(false);
        }
      }
    }
  });

  it("query only series the exporter sends, with functions graphite-web 1.1.10 has", () => {
    expect(COUNTER_SERIES).toContain("mining.blocksMined.count");
    for (const summary of readDashboards()) {
      const nodeSegments = summary.file === "network.json" ? ["*"] : ["$node", "${node}"];
      for (const { panel, refId, target } of summary.targets) {
        const name = `${summary.file} "${panel}" ${refId}: ${target}`;
        const expr = parseTarget(target);
        for (const fn of functionsOf(expr)) expect(GRAPHITE_FUNCTIONS.has(fn), `${name}: function ${fn}`).toBe(true);
        const paths = pathsOf(expr);
        expect(paths.length, name).toBeGreaterThan(0);
        for (const { path, callers } of paths) {
          expect(pathProblem(path, nodeSegments), `${name}: ${path}`).toBeUndefined();
          // Byte totals only ever grow: graphed raw they are a ramp, so they are always turned into a rate.
          if (/\.(bandwidth\.|system\.net)/.test(path)) {
            expect(callers.some((fn) => RATE_FUNCTIONS.has(fn)), `${name}: ${path} is a running total`).toBe(true);
          }
        }
      }
    }
  });

  it("the metric check rejects names the exporter does not send", () => {
    expect(pathProblem("stats.gauges.$node.peers.totalConnections", ["$node"])).toBeUndefined();
    expect(pathProblem("stats.gauges.$node.peers.pingMs.*", ["$node"])).toBeUndefined();
    expect(pathProblem("stats.gauges.*.bandwidth.message.*.bytesReceived", ["*"])).toBeUndefined();
    expect(pathProblem("stats.gauges.*.peers.network.{ipv4,ipv6}", ["*"])).toBeUndefined();
    expect(pathProblem("stats.counters.*.mining.blocksMined.rate", ["*"])).toBeUndefined();
    expect(pathProblem("stats.gauges.$node.peers.connections", ["$node"])).toMatch(/matches no gauge/);
    expect(pathProblem("stats.gauges.$node.bandwidth.message.*.bytesSent.count", ["$node"])).toMatch(/matches no gauge/);
    expect(pathProblem("stats.gauges.$node.mining.blocksMined.count", ["$node"])).toMatch(/matches no gauge/);
    expect(pathProblem("stats.counters.*.mining.blocksMined", ["*"])).toMatch(/matches no counter/);
    expect(pathProblem("stats.gauges.n1.up", ["$node"])).toMatch(/node segment/);
    expect(pathProblem("stats.timers.*.rpc.mean", ["*"])).toMatch(/does not start/);
    expect(pathProblem("peers.totalConnections", ["*"])).toMatch(/does not start/);
  });

  it("the target parser finds paths inside nested calls and skips quoted arguments", () => {
    const expr = parseTarget("aliasSub(perSecond(stats.gauges.{n1,n2}.bandwidth.totalBytesSent), '^.*stats\\.gauges\\.([^.]+)\\..*', '\\1 sent')");
    expect(functionsOf(expr)).toEqual(["aliasSub", "perSecond"]);
    expect(pathsOf(expr)).toEqual([{ path: "stats.gauges.{n1,n2}.bandwidth.totalBytesSent", callers: ["aliasSub", "perSecond"] }]);
    expect(pathsOf(parseTarget("groupByNode(scale(stats.gauges.*.up, -1), 2, 'sumSeries')"))).toEqual([{ path: "stats.gauges.*.up", callers: ["groupByNode", "scale"] }]);
    expect(() => parseTarget("sumSeries(stats.gauges.*.up")).toThrow(/expected , or \)/);
  });
});

describe("readDashboards", () => {
  const summaries = readDashboards();

  it("lists each dashboard's file, uid, title and every panel's targets", () => {
    expect(summaries.map((s) => s.file)).toEqual(files);
    for (const summary of summaries) {
      const dashboard = dashboards.get(summary.file)!;
      expect(summary.uid).toBe(dashboard.uid);
      expect(summary.title).toBe(dashboard.title);
      const expected = allPanels(dashboard.panels).flatMap((panel) =>
        (panel.targets ?? []).map((target) => ({ panel: panel.title, refId: target.refId, target: target.target })),
      );
      expect(summary.targets).toEqual(expected);
    }
  });

  it("finds dashboards/ at the repo root", () => {
    expect(DASHBOARDS_DIR.replace(/\/$/, "")).toBe(join(repoRoot, "dashboards"));
  });
});

describe("expandTarget", () => {
  const target = "aliasByNode(stats.gauges.$node.peers.totalConnections, 2)";

  it("fills in one node as its name and several as a Graphite glob", () => {
    expect(expandTarget(target, "n1")).toBe("aliasByNode(stats.gauges.n1.peers.totalConnections, 2)");
    expect(expandTarget(target, ["n1"])).toBe("aliasByNode(stats.gauges.n1.peers.totalConnections, 2)");
    expect(expandTarget(target, ["n1", "relay-2"])).toBe("aliasByNode(stats.gauges.{n1,relay-2}.peers.totalConnections, 2)");
  });

  it("handles $node, ${node}, ${node:glob} and [[node]], every occurrence", () => {
    expect(expandTarget("diffSeries(stats.gauges.${node}.blocks.headerHeight, stats.gauges.$node.blocks.currentHeight)", ["a", "b"])).toBe(
      "diffSeries(stats.gauges.{a,b}.blocks.headerHeight, stats.gauges.{a,b}.blocks.currentHeight)",
    );
    expect(expandTarget("stats.gauges.${node:glob}.up", ["a", "b"])).toBe("stats.gauges.{a,b}.up");
    expect(expandTarget("stats.gauges.[[node]].up", "a")).toBe("stats.gauges.a.up");
    expect(() => expandTarget("stats.gauges.${node:regex}.up", "a")).toThrow(/unsupported variable format "regex"/);
  });

  it("turns the All option ($__all) into every node", () => {
    expect(expandTarget(target, ALL, ["n1", "n2", "n3"])).toBe("aliasByNode(stats.gauges.{n1,n2,n3}.peers.totalConnections, 2)");
    expect(expandTarget(target, [ALL], ["n1"])).toBe("aliasByNode(stats.gauges.n1.peers.totalConnections, 2)");
    expect(() => expandTarget(target, ALL)).toThrow(/needs the list of all nodes/);
  });

  it("refuses no node, names that are not one path segment and variables it does not know", () => {
    expect(() => expandTarget(target, [])).toThrow(/no node selected/);
    expect(() => expandTarget(target, ["n1.peers"])).toThrow(/not a node name/);
    expect(() => expandTarget(target, ["*"])).toThrow(/not a node name/);
    expect(() => expandTarget("stats.gauges.$nodes.up", "n1")).toThrow(/unknown variable \$nodes/);
    expect(() => expandTarget("stats.gauges.$miner.up", "n1")).toThrow(/unknown variable \$miner/);
  });

  it("leaves targets without the variable as they are", () => {
    expect(expandTarget("sumSeries(stats.gauges.*.up)", ["n1"])).toBe("sumSeries(stats.gauges.*.up)");
  });

  it("expands every dashboard target to a plain Graphite expression over the chosen nodes", () => {
    for (const summary of readDashboards()) {
      for (const { target } of summary.targets) {
        const expanded = expandTarget(target, ALL, ["n1", "n2"]);
        expect(expanded).not.toContain("$");
        for (const { path } of pathsOf(parseTarget(expanded))) {
          expect(path.split(".")[2], `${summary.file}: ${expanded}`).toBe(summary.file === "network.json" ? "*" : "{n1,n2}");
        }
      }
    }
  });
});
