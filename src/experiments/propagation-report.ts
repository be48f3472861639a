// The propagation result as a self-contained HTML page (heat map, CDF, tables) and as a short console summary. Pure.
import { formatTable } from "../cli/table.js";
import { cdfSvg, escapeHtml, formatMs, heatmapSvg, page, table, type HeatmapCell } from "./html.js";
import type { ItemKind, ItemResult, KindSummary, PropagationResult } from "./propagation-analysis.js";
import { describeLink } from "../topology/link.js";
import { cdfPoints } from "./stats.js";

/** Declared edges with link conditions, as "from → to: conditions". */
function conditionedEdges(result: PropagationResult): string[][] {
  return result.edges.filter((edge) => edge.link !== undefined).map((edge) => [`${edge.from} → ${edge.to}`, describeLink(edge.link!)]);
}

const KIND_NAMES: Record<ItemKind, string> = { block: "block", tx: "tx" };
const KIND_COLOURS: Record<ItemKind, string> = { block: "#1f5fbf", tx: "#e07b00" };

/** Column label of an item: b1, b2, … for blocks, t1, t2, … for transactions. */
export function itemLabels(items: readonly ItemResult[]): string[] {
  const counters: Record<ItemKind, number> = { block: 0, tx: 0 };
  return items.map((item) => `${item.kind === "block" ? "b" : "t"}${++counters[item.kind]}`);
}

const shortId = (id: string) => `${id.slice(0, 12)}…`;

function heatmap(result: PropagationResult): string {
  const labels = itemLabels(result.items);
  const cells: HeatmapCell[][] = result.nodes.map((node) =>
    result.items.map((item, c) => {
      const value = item.firstSeenMs[node.name] ?? null;
      const hops = item.hops[node.name];
      return {
        value,
        marked: item.origin === node.name,
        title: `${node.name} · ${labels[c]} ${KIND_NAMES[item.kind]} ${shortId(item.id)} from ${item.origin} · ${hops === null || hops === undefined ? "not connected by declared edges" : `${hops} hop${hops === 1 ? "" : "s"}`} · ${value === null ? "not seen" : `${formatMs(value)} ms`}`,
      };
    }),
  );
  return heatmapSvg({ id: "heatmap", rowLabels: result.nodes.map((node) => `${node.name} (${node.role})`), columnLabels: labels, cells, unit: "ms" });
}

function cdf(result: PropagationResult): string {
  const series = (["block", "tx"] as const)
    .map((kind) => {
      const values = result.items.filter((item) => item.kind === kind).flatMap((item) => Object.values(item.firstSeenMs).filter((v): v is number => v !== null));
      return { label: `${kind === "block" ? "blocks" : "transactions"} (${values.length})`, colour: KIND_COLOURS[kind], points: cdfPoints(values) };
    })
    .filter((s) => s.points.length > 0);
  return cdfSvg("cdf", series, "first-seen delay after submission (ms)");
}

function summaryRows(result: PropagationResult): string[][] {
  return (["block", "tx"] as const)
    .filter((kind) => result.summary[kind].items > 0)
    .map((kind) => {
      const s: KindSummary = result.summary[kind];
      return [
        kind,
        String(s.items),
        formatMs(s.delays?.p50),
        formatMs(s.delays?.p90),
        formatMs(s.delays?.max),
        formatMs(s.timeToMs.p50?.p50),
        formatMs(s.timeToMs.p90?.p50),
        formatMs(s.timeToMs.p100?.p50),
        s.msPerHop === null ? "–" : s.msPerHop.toFixed(2),
        String(s.missing),
      ];
    });
}

export function renderPropagationHtml(result: PropagationResult): string {
  const labels = itemLabels(result.items);
  const hopRows = (["block", "tx"] as const).flatMap((kind) =>
    result.summary[kind].perHop.map((h) => [kind, String(h.hops), String(h.count), formatMs(h.min), formatMs(h.p50), formatMs(h.p90), formatMs(h.max), formatMs(h.mean)]),
  );
  const itemRows = result.items.map((item, i) => [
    labels[i]!,
    item.kind,
    item.id,
    item.origin,
    `${item.reached}/${result.nodes.length}`,
    formatMs(item.timeToMs.p50),
    formatMs(item.timeToMs.p90),
    formatMs(item.timeToMs.p100),
  ]);
  const s = result.settings;
  const body = `
<h1>Propagation — stack ${escapeHtml(result.stack)}</h1>
<p>${result.nodes.length} nodes, ${result.edges.length} declared edges, ${result.chain}. ${s.blocks} block${s.blocks === 1 ? "" : "s"} mined at ${escapeHtml(s.miner === "random" ? "random miners" : s.miner)}, ${s.txs} transaction${s.txs === 1 ? "" : "s"} sent from wallets (seed ${s.seed}).
Started ${escapeHtml(result.startedAt)}, finished ${escapeHtml(result.finishedAt)}.</p>
<p class="muted">Method: <b>${escapeHtml(result.method.name)}</b> — ${escapeHtml(result.method.description)} Resolution about ${result.method.resolutionMs} ms.
Delays count from the moment the RPC that made the item (<code>generatetoaddress</code>, <code>sendtoaddress</code>) was sent; hops are shortest paths from the item's origin over the declared edges, taken as undirected.</p>

${conditionedEdges(result).length === 0 ? "<p class=\"muted\">No declared link conditions: every edge is the plain lab network.</p>" : `<h2>Link conditions</h2>
<p class="muted">Declared per edge (latency: one-way, added in each direction). First-seen delays behind these edges include them.</p>
${table(["edge", "conditions"], conditionedEdges(result))}`}

<h2>First-seen delay per node (ms)</h2>
<p class="muted">Rows are nodes, columns blocks (b…) then transactions (t…); the origin's cell is outlined. Hover a cell for details.</p>
<div class="figure">
${heatmap(result)}
</div>

<h2>Distribution of first-seen delays</h2>
<div class="figure">
${cdf(result)}
</div>

<h2>Summary</h2>
<p class="muted">Delays over all nodes and items of a kind; "to 50/90/100 %" are medians over items of the time until that share of the nodes had the item.</p>
${table(["kind", "items", "delay p50", "delay p90", "delay max", "to 50 %", "to 90 %", "to 100 %", "ms per hop", "not seen"], summaryRows(result))}

<h2>Delay by hop distance (ms)</h2>
${table(["kind", "hops", "n", "min", "p50", "p90", "max", "mean"], hopRows)}

<h2>Items</h2>
${table(["", "kind", "hash / txid", "origin", "reached", "to 50 % (ms)", "to 90 % (ms)", "to 100 % (ms)"], itemRows, 4)}
`;
  return page(`netlab propagation — ${result.stack}`, body);
}

/** A few lines for the terminal: one row per item, then the per-hop medians. */
export function propagationSummary(result: PropagationResult): string {
  const labels = itemLabels(result.items);
  const lines = [
    `propagation on stack ${result.stack}: ${result.nodes.length} nodes, ${result.edges.length} declared edges, method ${result.method.name} (resolution ~${result.method.resolutionMs} ms)`,
    "",
    formatTable(
      ["item", "id", "origin", "reached", "50% ms", "90% ms", "100% ms"],
      result.items.map((item, i) => [labels[i]!, shortId(item.id), item.origin, `${item.reached}/${result.nodes.length}`, formatMs(item.timeToMs.p50), formatMs(item.timeToMs.p90), formatMs(item.timeToMs.p100)]),
    ),
    "",
    ...(conditionedEdges(result).length === 0 ? [] : ["link conditions:", ...conditionedEdges(result).map(([edge, link]) => `  ${edge}: ${link}`), ""]),
    "median first-seen delay by hops from the origin, ms (p90):",
  ];
  for (const kind of ["block", "tx"] as const) {
    const s = result.summary[kind];
    if (s.items === 0) continue;
    const hops = s.perHop.map((h) => `${h.hops}: ${formatMs(h.p50)} (${formatMs(h.p90)})`).join("  ");
    lines.push(`  ${kind.padEnd(5)}  ${hops}${s.msPerHop === null ? "" : `   fit ${s.msPerHop.toFixed(2)} ms/hop`}${s.missing > 0 ? `   not seen: ${s.missing}` : ""}`);
  }
  return `${lines.join("\n")}\n`;
}
