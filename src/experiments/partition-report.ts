// The partition result as a short HTML page (with a bar chart of when each node reached the final tip) and as a
// console summary. Pure.
import { formatTable } from "../cli/table.js";
import { colour, escapeHtml, formatMs, niceCeil, page, table } from "./html.js";
import type { MethodInfo } from "./propagation-analysis.js";
import type { AddedNodeEntry, Ban, ReorgSummary } from "./partition-analysis.js";

export interface SideResult {
  nodes: string[];
  miner: string;
  blocksMined: number;
  tip: string;
  height: number;
}

export interface PartitionResult {
  format: 1;
  experiment: "partition";
  stack: string;
  chain: string;
  startedAt: string;
  finishedAt: string;
  method: MethodInfo;
  settings: { group: string[]; blocksEach: number; lead: number; winner: "group" | "rest"; holdSeconds: number; banSeconds: number; timeoutMs: number };
  forkPoint: { hash: string; height: number };
  sides: { group: SideResult; rest: SideResult };
  cut: {
    removedAddedNodes: AddedNodeEntry[];
    bans: Ban[];
    /** Connections across the cut when it was made (each end counted). */
    disconnected: number;
    /** ms from the first cut RPC until no connection crossed the cut. */
    cutMs: number;
    /** Connections across the cut that appeared during the partition (cut again when found). */
    leaks: { atMs: number; node: string; peer: string; addr: string }[];
  };
  heal: {
    /** ms the heal RPCs took (bans lifted, added nodes restored, onetry dials). */
    commandsMs: number;
    /** ms from the start of the heal until every node was on the final tip. */
    convergedMs: number;
    /** ms from the start of the heal until each node was on the final tip (0: it already was). */
    perNodeMs: Record<string, number>;
    /** How each node's time was taken. */
    timedBy: Record<string, "already" | "zmq" | "rpc">;
    /** ms from the start of the heal until every restored edge was connected again; null if not within the timeout. */
    edgesReconnectedMs: number | null;
    /** Every declared edge connected at the end. */
    edgesConnected: boolean;
  };
  final: { hash: string; height: number };
  reorg: ReorgSummary;
}

const short = (hash: string) => `${hash.slice(0, 12)}…`;

function convergenceChart(result: PartitionResult): string {
  const names = Object.keys(result.heal.perNodeMs);
  const max = niceCeil(Math.max(1, ...Object.values(result.heal.perNodeMs)));
  const labelWidth = 110;
  const barWidth = 440;
  const row = 22;
  const height = names.length * row + 40;
  const parts = [`<svg id="convergence" xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 90}" height="${height}" font-family="system-ui, sans-serif" font-size="11">`];
  names.forEach((name, i) => {
    const ms = result.heal.perNodeMs[name]!;
    const node = result.reorg.perNode[name];
    const y = i * row + 4;
    const w = (ms / max) * barWidth;
    parts.push(`<text x="${labelWidth - 8}" y="${y + 14}" text-anchor="end">${escapeHtml(name)} (${node?.side ?? "?"})</text>`);
    parts.push(`<rect x="${labelWidth}" y="${y}" width="${Math.max(1, w).toFixed(1)}" height="${row - 6}" fill="${node?.reorganised ? "#e4002b" : colour(0.35)}"><title>${escapeHtml(name)}: ${formatMs(ms)} ms${node?.reorganised ? `, reorganised ${node.depth} blocks` : ""}</title></rect>`);
    const label = result.heal.timedBy[name] === "already" ? "already on the final tip" : `${formatMs(ms)} ms${node?.reorganised ? ` · reorg ${node.depth}` : ""}`;
    parts.push(`<text x="${labelWidth + Math.max(1, w) + 6}" y="${y + 14}">${label}</text>`);
  });
  const axisY = names.length * row + 14;
  parts.push(`<line x1="${labelWidth}" x2="${labelWidth + barWidth}" y1="${axisY}" y2="${axisY}" stroke="#999"/>`);
  parts.push(`<text x="${labelWidth}" y="${axisY + 14}">0</text><text x="${labelWidth + barWidth}" y="${axisY + 14}" text-anchor="end">${max} ms after the heal began</text>`);
  parts.push("</svg>");
  return parts.join("\n");
}

export function renderPartitionHtml(result: PartitionResult): string {
  const { group, rest } = result.sides;
  const nodeRows = Object.entries(result.reorg.perNode).map(([name, node]) => [
    name,
    node.side,
    `${short(node.tipBefore)} (${node.heightBefore})`,
    node.reorganised ? "yes" : "no",
    String(node.depth),
    result.heal.timedBy[name] === "already" ? "already on it" : formatMs(result.heal.perNodeMs[name]),
    result.heal.timedBy[name] ?? "–",
  ]);
  const body = `
<h1>Partition and heal — stack ${escapeHtml(result.stack)}</h1>
<p>Group <b>${escapeHtml(group.nodes.join(", "))}</b> cut off from <b>${escapeHtml(rest.nodes.join(", "))}</b> at block ${escapeHtml(short(result.forkPoint.hash))} (height ${result.forkPoint.height}).
The group mined ${group.blocksMined} block${group.blocksMined === 1 ? "" : "s"} at ${escapeHtml(group.miner)}, the rest ${rest.blocksMined} at ${escapeHtml(rest.miner)}; then the cut was healed.</p>
<p class="muted">Method: <b>${escapeHtml(result.method.name)}</b> — ${escapeHtml(result.method.description)} Resolution about ${result.method.resolutionMs} ms. Started ${escapeHtml(result.startedAt)}, finished ${escapeHtml(result.finishedAt)}.</p>
${table(
  ["", "value"],
  [
    ["single tip after the heal", `${formatMs(result.heal.convergedMs)} ms`],
    ["final tip", `${result.final.hash} (height ${result.final.height})`],
    ["reorg depth", String(result.reorg.depth)],
    ["nodes that reorganised", result.reorg.reorganised.join(", ") || "none"],
    ["added-node entries removed and restored", String(result.cut.removedAddedNodes.length)],
    ["bans set and lifted", String(result.cut.bans.length)],
    ["connections cut", String(result.cut.disconnected)],
    ["connections that reappeared during the partition", String(result.cut.leaks.length)],
    ["cut edges reconnected after", result.heal.edgesReconnectedMs === null ? "not within the timeout" : `${formatMs(result.heal.edgesReconnectedMs)} ms`],
    ["heal RPCs took", `${formatMs(result.heal.commandsMs)} ms`],
  ],
  2,
)}
<h2>Time until each node was on the final tip</h2>
<p class="muted">Red: the node reorganised (its tip before the heal left the final chain).</p>
${convergenceChart(result)}
<h2>Nodes</h2>
${table(["node", "side", "tip before heal (height)", "reorganised", "depth", "on final tip after (ms)", "timed by"], nodeRows, 3)}
<h2>Cut edges</h2>
${table(["node", "added node", "peer"], result.cut.removedAddedNodes.map((e) => [e.node, e.target, e.peer]), 3)}
`;
  return page(`netlab partition — ${result.stack}`, body);
}

export function partitionSummary(result: PartitionResult): string {
  const { group, rest } = result.sides;
  const lines = [
    `partition on stack ${result.stack}: group ${group.nodes.join(",")} | rest ${rest.nodes.join(",")} (${result.cut.removedAddedNodes.length} added-node entries removed, ${result.cut.bans.length} bans, ${result.cut.disconnected} connections cut)`,
    `mined: group ${group.blocksMined} at ${group.miner} (tip ${short(group.tip)}, height ${group.height}), rest ${rest.blocksMined} at ${rest.miner} (tip ${short(rest.tip)}, height ${rest.height})`,
    `healed: every node on ${short(result.final.hash)} (height ${result.final.height}) ${formatMs(result.heal.convergedMs)} ms after the heal began; ${
      result.heal.edgesReconnectedMs === null ? "NOT every cut edge reconnected within the timeout" : `cut edges reconnected after ${formatMs(result.heal.edgesReconnectedMs)} ms`
    }`,
    `reorg: depth ${result.reorg.depth}${result.reorg.reorganised.length > 0 ? ` at ${result.reorg.reorganised.join(", ")}` : ", no node reorganised"}${result.cut.leaks.length > 0 ? `; WARNING: ${result.cut.leaks.length} connection(s) crossed the cut during the partition` : ""}`,
    "",
    formatTable(
      ["node", "side", "tip before heal", "reorg depth", "final tip after ms"],
      Object.entries(result.reorg.perNode).map(([name, node]) => [
        name,
        node.side,
        `${short(node.tipBefore)} (${node.heightBefore})`,
        String(node.depth),
        result.heal.timedBy[name] === "already" ? "already" : formatMs(result.heal.perNodeMs[name]),
      ]),
    ),
  ];
  return `${lines.join("\n")}\n`;
}
