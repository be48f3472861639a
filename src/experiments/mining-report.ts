// The mining result as a self-contained HTML page (timeline of blocks by miner, stale blocks and forks, shares,
// tips, transactions) and as a short console summary. Pure.
import { formatTable } from "../cli/table.js";
import { colour, escapeHtml, page, table } from "./html.js";
import type { MiningResult } from "./mining-analysis.js";

const short = (hash: string | null) => (hash === null ? "–" : `${hash.slice(0, 12)}…`);
const percent = (x: number) => `${(100 * x).toFixed(1)} %`;
const seconds = (ms: number | null) => (ms === null ? "–" : (ms / 1000).toFixed(2));

/** One row per miner, a dot per block at the time it was mined; stale blocks hollow and red-ringed. */
function timeline(result: MiningResult): string {
  const miners = result.miners.map((m) => m.name);
  const labelWidth = Math.max(50, 8 * Math.max(...miners.map((m) => m.length)) + 16);
  const plotWidth = 900;
  const row = 26;
  const top = 10;
  const height = top + row * miners.length + 40;
  const maxS = Math.max(1, result.settings.durationMs / 1000, ...result.blocks.map((b) => (b.actualMs ?? 0) / 1000));
  const x = (ms: number) => labelWidth + (ms / 1000 / maxS) * plotWidth;
  const parts = [
    `<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 20}" height="${height}" font-family="system-ui, sans-serif" font-size="11">`,
  ];
  miners.forEach((name, i) => {
    const y = top + i * row + row / 2;
    parts.push(`<text x="${labelWidth - 8}" y="${y + 4}" text-anchor="end">${escapeHtml(name)}</text>`);
    parts.push(`<line x1="${labelWidth}" x2="${labelWidth + plotWidth}" y1="${y}" y2="${y}" stroke="#e6e6e6"/>`);
  });
  for (let i = 0; i <= 10; i++) {
    const s = (maxS * i) / 10;
    const px = labelWidth + (plotWidth * i) / 10;
    parts.push(`<line x1="${px}" x2="${px}" y1="${top + row * miners.length}" y2="${top + row * miners.length + 4}" stroke="#666"/><text x="${px}" y="${top + row * miners.length + 16}" text-anchor="middle">${Number(s.toPrecision(3))}</text>`);
  }
  parts.push(`<text x="${labelWidth + plotWidth / 2}" y="${height - 4}" text-anchor="middle">seconds after the schedule started (stale blocks hollow, ringed red)</text>`);
  for (const block of result.blocks) {
    if (block.actualMs === null) continue;
    const i = miners.indexOf(block.miner);
    const y = top + i * row + row / 2;
    // The palette's yellow end reads poorly on white: stop at 0.8.
    const fill = colour(miners.length === 1 ? 0.3 : (0.8 * i) / (miners.length - 1));
    const shape = block.stale
      ? `<circle cx="${x(block.actualMs).toFixed(1)}" cy="${y}" r="6" fill="#fff" stroke="#e4002b" stroke-width="2"/>`
      : block.hash === null
        ? `<text x="${x(block.actualMs).toFixed(1)}" y="${y + 4}" text-anchor="middle" fill="#e4002b">×</text>`
        : `<circle cx="${x(block.actualMs).toFixed(1)}" cy="${y}" r="5" fill="${fill}"/>`;
    const title = `block ${block.index + 1} by ${block.miner} at ${seconds(block.actualMs)} s (due ${seconds(block.scheduledMs)} s) · ${block.hash ?? block.error ?? ""}${block.height === null ? "" : ` · height ${block.height}`}${block.stale ? " · stale" : ""}`;
    parts.push(`<g><title>${escapeHtml(title)}</title>${shape}</g>`);
  }
  parts.push("</svg>");
  return parts.join("\n");
}

export function renderMiningHtml(result: MiningResult): string {
  const s = result.settings;
  const sum = result.summary;
  const t = result.tips;
  const minerRows = result.miners.map((m) => [m.name, String(s.hashrates[m.name]), percent(m.share), String(m.scheduled), String(m.mined), percent(m.observedShare), String(m.stale)]);
  const staleRows = t.staleBlocks.map((b) => [b.hash, String(b.height), b.miner ?? "unknown", b.inRun ? "yes" : "no"]);
  const forkRows = t.forks.map((f) => [f.tip, Object.entries(f.knownBy).map(([node, status]) => `${node}: ${status}`).join(", "), String(f.forkHeight), String(f.length), f.contested ? "yes" : ""]);
  // One row per distinct tip, with the nodes on it: a lab of 50 agreeing nodes is one row.
  const byTip = new Map<string, string[]>();
  for (const [node, tip] of Object.entries(t.nodes)) byTip.set(tip.hash, [...(byTip.get(tip.hash) ?? []), node]);
  const tipRows = [...byTip].map(([hash, nodes]) => {
    const tip = t.nodes[nodes[0]!]!;
    return [`${nodes.length}: ${nodes.join(", ")}`, hash, String(tip.height), tip.agrees ? "yes" : tip.behind ? "behind" : "no"];
  });
  const blockRows = result.blocks.map((b) => [String(b.index + 1), b.miner, b.hash ?? b.error ?? "–", b.height === null ? "–" : String(b.height), seconds(b.scheduledMs), seconds(b.actualMs), b.stale ? "stale" : b.hash === null ? "failed" : ""]);
  const body = `
<h1>Mining and traffic — stack ${escapeHtml(result.stack)}</h1>
<p>${result.nodes.length} nodes, ${result.chain}. Blocks every ${s.intervalMs / 1000} s on average (exponential gaps), miner drawn by hashrate share (from the ${s.sharesFrom});
${s.txRate} transactions per second; ${s.durationMs / 1000} s (seed ${s.seed})${result.stoppedEarly ? `, <b>stopped early after ${(result.ranMs / 1000).toFixed(1)} s</b>` : ""}.
Started ${escapeHtml(result.startedAt)}, finished ${escapeHtml(result.finishedAt)}; the chain was at height ${result.startHeight} when the schedule began.</p>

<h2>Blocks by miner</h2>
<div class="figure">
${timeline(result)}
</div>
${table(["miner", "declared", "share", "scheduled", "mined", "observed share", "stale"], minerRows)}

<h2>Stale blocks and forks</h2>
<p>${sum.staleTotal} stale block${sum.staleTotal === 1 ? "" : "s"} on ${sum.forks} fork${sum.forks === 1 ? "" : "s"}; ${sum.staleInRun} of the ${sum.blocksMined} blocks this run mined went stale (orphan rate ${percent(sum.orphanRate)}).</p>
${t.forks.some((f) => f.contested) ? "<p><b>A race is still open</b>: some node is on a branch the other nodes left (equal work); the next block decides, until then its blocks count as stale.</p>\n" : ""}<p class="muted">From every node's <code>getchaintips</code>: the lab's chain is the active tip most nodes share; every tip not on it ends a stale branch, walked back to the block it shares with the chain (the fork height). Miners of blocks this run did not mine come from their coinbase's owner.</p>
${staleRows.length === 0 ? "<p>None.</p>" : table(["stale block", "height", "miner", "mined by this run"], staleRows)}
${forkRows.length === 0 ? "" : table(["fork tip", "known by (status)", "fork height", "length", "still contested"], forkRows, 2)}

<h2>Tips</h2>
<p>${t.allAgree ? "Every node is on the same tip" : "<b>The nodes do not agree on one tip</b>"}: ${escapeHtml(t.tip.hash)} at height ${t.tip.height}.</p>
${table(["nodes", "active tip", "height", "the lab's tip"], tipRows, 2)}

<h2>Transactions</h2>
${table(["scheduled", "sent", "failed", "confirmed", "in a mempool", "lost"], [[sum.txsScheduled, sum.txsSent, sum.txsFailed, sum.txsConfirmed, sum.txsInMempool, sum.txsLost].map(String)], 0)}

<h2>Blocks</h2>
${table(["#", "miner", "hash", "height", "due (s)", "mined (s)", ""], blockRows, 3)}
`;
  return page(`netlab mining — ${result.stack}`, body);
}

/** A few lines for the terminal. */
export function miningSummary(result: MiningResult): string {
  const sum = result.summary;
  const lines = [
    `mining on stack ${result.stack}: ${sum.blocksMined}/${sum.blocksScheduled} blocks mined, ${sum.txsSent}/${sum.txsScheduled} transactions sent in ${(result.ranMs / 1000).toFixed(1)} s${result.stoppedEarly ? " (stopped early)" : ""}`,
    "",
    formatTable(
      ["miner", "share", "mined", "observed", "stale"],
      result.miners.map((m) => [m.name, percent(m.share), String(m.mined), percent(m.observedShare), String(m.stale)]),
    ),
    "",
    `stale blocks: ${sum.staleTotal} (${sum.staleInRun} from this run, orphan rate ${percent(sum.orphanRate)}), forks: ${sum.forks}`,
    ...result.tips.staleBlocks.map((b) => `  ${short(b.hash)} height ${b.height} by ${b.miner ?? "unknown"}${b.inRun ? "" : " (not this run)"}`),
    `tip: ${short(result.tips.tip.hash)} at height ${result.tips.tip.height}, ${result.tips.allAgree ? "all nodes agree" : `nodes apart: ${Object.entries(result.tips.nodes).filter(([, n]) => !n.agrees).map(([name]) => name).join(", ")}`}${result.tips.forks.some((f) => f.contested) ? " (a race still open: the next block decides)" : ""}`,
    `transactions: ${sum.txsConfirmed} confirmed, ${sum.txsInMempool} in mempools, ${sum.txsLost} lost, ${sum.txsFailed} failed`,
  ];
  return `${lines.join("\n")}\n`;
}
