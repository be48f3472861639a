// The Grafana dashboards in dashboards/*.json as data: which Graphite targets each one sends, and those targets
// with the node variable filled in as Grafana's Graphite datasource fills it, so a test can send every target
// to graphite-web's /render (Grafana itself cannot run on these machines).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** dashboards/ at the repo root (this file is src/monitoring/dashboards.ts). */
export const DASHBOARDS_DIR = fileURLToPath(new URL("../../dashboards/", import.meta.url));

/** The value Grafana stores for a variable's "All" option. */
export const ALL = "$__all";

export interface DashboardTarget {
  /** The panel's title. */
  panel: string;
  refId: string;
  /** The Graphite expression, variables not yet expanded. */
  target: string;
}

export interface DashboardSummary {
  /** File name inside dashboards/, e.g. "peers.json". */
  file: string;
  uid: string;
  title: string;
  targets: DashboardTarget[];
}

interface PanelJson {
  title?: string;
  targets?: { refId?: string; target?: string }[];
  /** A collapsed row keeps its panels inside itself. */
  panels?: PanelJson[];
}

export function dashboardFiles(dir: string = DASHBOARDS_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort();
}

export function readDashboards(dir: string = DASHBOARDS_DIR): DashboardSummary[] {
  return dashboardFiles(dir).map((file) => {
    const json = JSON.parse(readFileSync(join(dir, file), "utf8")) as { uid?: string; title?: string; panels?: PanelJson[] };
    if (typeof json.uid !== "string" || typeof json.title !== "string") throw new Error(`dashboards/${file}: uid and title must be strings`);
    return { file, uid: json.uid, title: json.title, targets: panelTargets(json.panels ?? []) };
  });
}

function panelTargets(panels: PanelJson[]): DashboardTarget[] {
  return panels.flatMap((panel) => [
    ...(panel.targets ?? [])
      .filter((t): t is { refId: string; target: string } => typeof t.target === "string" && typeof t.refId === "string")
      .map((t) => ({ panel: panel.title ?? "", refId: t.refId, target: t.target })),
    ...panelTargets(panel.panels ?? []),
  ]);
}

const NODE_NAME = /^[A-Za-z0-9_-]+$/;
// $node, ${node}, ${node:glob} and the older [[node]]; `$nodes` is another variable and is left alone.
const NODE_VARIABLE = /\$\{node(?::(\w+))?\}|\[\[node(?::(\w+))?\]\]|\$node(?!\w)/g;

/**
 * A target with the `node` variable filled in as Grafana's Graphite datasource does it: one node as its name,
 * several as a Graphite glob `{n1,n2}`. `selected` may be or contain "$__all" (the All option, which these
 * dashboards give no custom value), which stands for every name in `allNodes`.
 */
export function expandTarget(target: string, selected: string | readonly string[], allNodes: readonly string[] = []): string {
  const picked = typeof selected === "string" ? [selected] : [...selected];
  const nodes = picked.includes(ALL) ? [...allNodes] : picked;
  if (nodes.length === 0) throw new Error(picked.includes(ALL) ? `"${ALL}" needs the list of all nodes` : "no node selected");
  for (const node of nodes) if (!NODE_NAME.test(node)) throw new Error(`${JSON.stringify(node)} is not a node name (one Graphite path segment)`);
  const value = nodes.length === 1 ? nodes[0]! : `{${nodes.join(",")}}`;
  const expanded = target.replace(NODE_VARIABLE, (_match, braceFormat?: string, bracketFormat?: string) => {
    const format = braceFormat ?? bracketFormat;
    if (format !== undefined && format !== "glob") throw new Error(`unsupported variable format "${format}" in ${target}`);
    return value;
  });
  // Anything left is a variable this function does not know; sent as is, graphite-web would find no series.
  const unknown = /\$\{?\w+|\[\[\w+/.exec(expanded);
  if (unknown) throw new Error(`unknown variable ${unknown[0]} in ${target}`);
  return expanded;
}
