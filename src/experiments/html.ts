// Self-contained HTML for experiment reports: one page, inline CSS and SVG, nothing fetched. Pure.

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Delay for display: one decimal below 10 ms, whole ms above; "–" for none. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "–";
  return ms < 10 ? ms.toFixed(1) : Math.round(ms).toString();
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f4f4f4; } td.text, th.text { text-align: left; }
code { font-size: 13px; } .muted { color: #666; } svg { display: block; margin: 8px 0; overflow: visible; }
.figure { overflow-x: auto; }
</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** A table; cells are escaped text, the first `textColumns` columns left-aligned. */
export function table(header: string[], rows: string[][], textColumns = 1): string {
  const cell = (tag: "th" | "td", text: string, i: number) => `<${tag}${i < textColumns ? ' class="text"' : ""}>${escapeHtml(text)}</${tag}>`;
  return `<table>\n<thead><tr>${header.map((h, i) => cell("th", h, i)).join("")}</tr></thead>\n<tbody>\n${rows
    .map((row) => `<tr>${row.map((c, i) => cell("td", c, i)).join("")}</tr>`)
    .join("\n")}\n</tbody>\n</table>`;
}

// Viridis, sampled at five points: perceptually even and readable in grey.
const PALETTE: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** Colour for t in 0..1 (clamped), interpolated along the palette. */
export function colour(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (PALETTE.length - 1);
  const i = Math.min(PALETTE.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [PALETTE[i]!, PALETTE[i + 1]!];
  const channel = (k: number) => Math.round(a[k]! + (b[k]! - a[k]!) * f);
  return `rgb(${channel(0)},${channel(1)},${channel(2)})`;
}

/** Black or white text, whichever reads better on the colour at t. */
function textOn(t: number): string {
  return t > 0.55 ? "#000" : "#fff";
}

/** A round number at or above `value` (1, 2 or 5 × 10^k), for axis ends. */
export function niceCeil(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value - 1e-9) return step * power;
  return 10 * power;
}

export interface HeatmapCell {
  value: number | null;
  /** Outlined: the item's origin. */
  marked?: boolean;
  /** Tooltip text. */
  title: string;
}

export interface HeatmapSpec {
  id: string;
  rowLabels: string[];
  columnLabels: string[];
  /** cells[row][column] */
  cells: HeatmapCell[][];
  unit: string;
}

/** Position 0..1 of a delay on the heat map's logarithmic scale (log(1 + v)), so 1 ms, 10 ms and 100 ms all read. */
export function logScale(value: number, max: number): number {
  return Math.log1p(Math.max(0, value)) / Math.log1p(Math.max(1, max));
}

export function heatmapSvg(spec: HeatmapSpec): string {
  const values = spec.cells.flat().flatMap((cell) => (cell.value === null ? [] : [cell.value]));
  const max = niceCeil(Math.max(1, ...values));
  const labelWidth = Math.max(40, 8 * Math.max(...spec.rowLabels.map((label) => label.length)) + 12);
  const cellWidth = Math.max(14, Math.min(52, Math.floor(960 / Math.max(1, spec.columnLabels.length))));
  const cellHeight = 22;
  const top = 30;
  const gridWidth = cellWidth * spec.columnLabels.length;
  const gridHeight = cellHeight * spec.rowLabels.length;
  const legendTop = top + gridHeight + 18;
  const legendWidth = 240;
  const width = labelWidth + Math.max(gridWidth, legendWidth + 200) + 10;
  const height = legendTop + 44;
  const id = escapeHtml(spec.id);
  const parts: string[] = [];
  parts.push(`<svg id="${id}" class="heatmap" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`);
  // The gradient is sampled along the log scale, so the legend's ticks sit where their colours are.
  const stops = Array.from({ length: 11 }, (_, i) => i / 10);
  parts.push(`<defs><linearGradient id="${id}-scale" x1="0" x2="1" y1="0" y2="0">${stops.map((t) => `<stop offset="${t}" stop-color="${colour(t)}"/>`).join("")}</linearGradient></defs>`);
  spec.columnLabels.forEach((label, c) => {
    parts.push(`<text x="${labelWidth + c * cellWidth + cellWidth / 2}" y="${top - 8}" text-anchor="middle">${escapeHtml(label)}</text>`);
  });
  spec.rowLabels.forEach((label, r) => {
    const y = top + r * cellHeight;
    parts.push(`<text x="${labelWidth - 8}" y="${y + cellHeight / 2 + 4}" text-anchor="end">${escapeHtml(label)}</text>`);
    spec.columnLabels.forEach((_, c) => {
      const cell = spec.cells[r]?.[c] ?? { value: null, title: "" };
      const x = labelWidth + c * cellWidth;
      const t = cell.value === null ? 0 : logScale(cell.value, max);
      const fill = cell.value === null ? "#ddd" : colour(t);
      const stroke = cell.marked ? ' stroke="#e4002b" stroke-width="2"' : ' stroke="#fff" stroke-width="1"';
      parts.push(`<g><title>${escapeHtml(cell.title)}</title><rect x="${x}" y="${y}" width="${cellWidth}" height="${cellHeight}" fill="${fill}"${stroke}/>`);
      const text = cell.value === null ? "×" : cellWidth >= 30 ? formatMs(cell.value) : "";
      if (text) parts.push(`<text x="${x + cellWidth / 2}" y="${y + cellHeight / 2 + 4}" text-anchor="middle" fill="${cell.value === null ? "#555" : textOn(t)}">${text}</text>`);
      parts.push("</g>");
    });
  });
  parts.push(`<rect x="${labelWidth}" y="${legendTop}" width="${legendWidth}" height="12" fill="url(#${id}-scale)"/>`);
  const ticks = [0, 1, 10, 100, 1000, 10_000, 100_000].filter((v) => v < max * 0.8);
  for (const v of [...ticks, max]) {
    const x = labelWidth + logScale(v, max) * legendWidth;
    parts.push(`<line x1="${x}" x2="${x}" y1="${legendTop + 12}" y2="${legendTop + 16}" stroke="#666"/><text x="${x}" y="${legendTop + 27}" text-anchor="middle">${v}</text>`);
  }
  parts.push(`<text x="${labelWidth + legendWidth + 14}" y="${legendTop + 10}">${escapeHtml(spec.unit)} (log scale)</text>`);
  const keyX = labelWidth + legendWidth + 100;
  parts.push(`<rect x="${keyX}" y="${legendTop}" width="12" height="12" fill="#ddd"/><text x="${keyX + 17}" y="${legendTop + 10}">× not seen</text>`);
  parts.push(`<rect x="${keyX}" y="${legendTop + 18}" width="12" height="12" fill="none" stroke="#e4002b" stroke-width="2"/><text x="${keyX + 17}" y="${legendTop + 28}">origin</text>`);
  parts.push("</svg>");
  return parts.join("\n");
}

export interface CdfSeries {
  label: string;
  colour: string;
  /** [value, cumulative share] in ascending order, as cdfPoints gives them. */
  points: [number, number][];
}

export function cdfSvg(id: string, series: CdfSeries[], xLabel: string): string {
  const width = 640;
  const height = 320;
  const margin = { left: 52, right: 130, top: 14, bottom: 42 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const maxX = niceCeil(Math.max(1, ...series.flatMap((s) => s.points.map(([x]) => x))));
  const sx = (x: number) => margin.left + (x / maxX) * plotWidth;
  const sy = (y: number) => margin.top + (1 - y) * plotHeight;
  const parts: string[] = [
    `<svg id="${escapeHtml(id)}" class="cdf" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="#fafafa" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const x = (maxX * i) / 5;
    parts.push(`<line x1="${sx(x)}" x2="${sx(x)}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#e6e6e6"/>`);
    parts.push(`<text x="${sx(x)}" y="${margin.top + plotHeight + 15}" text-anchor="middle">${Number(x.toPrecision(4))}</text>`);
  }
  for (const y of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${sy(y)}" y2="${sy(y)}" stroke="#e6e6e6"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${sy(y) + 4}" text-anchor="end">${y}</text>`);
  }
  parts.push(`<text x="${margin.left + plotWidth / 2}" y="${height - 6}" text-anchor="middle">${escapeHtml(xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">share of first sightings</text>`);
  series.forEach((s, i) => {
    if (s.points.length > 0) {
      let d = `M${sx(0).toFixed(1)},${sy(0).toFixed(1)}`;
      for (const [x, y] of s.points) d += ` H${sx(x).toFixed(1)} V${sy(y).toFixed(1)}`;
      d += ` H${sx(maxX).toFixed(1)}`;
      parts.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"><title>${escapeHtml(s.label)}</title></path>`);
    }
    const ly = margin.top + 12 + i * 18;
    parts.push(`<line x1="${width - margin.right + 12}" x2="${width - margin.right + 32}" y1="${ly}" y2="${ly}" stroke="${s.colour}" stroke-width="2"/>`);
    parts.push(`<text x="${width - margin.right + 38}" y="${ly + 4}">${escapeHtml(s.label)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
