// The viewer page: the lab's live peer graph with sigma v3 + graphology, updated from Server-Sent Events.
import EdgeCurveProgram from "@sigma/edge-curve";
import Graph from "graphology";
import forceAtlas2 from "graphology-layout-forceatlas2";
import Sigma from "sigma";
import type { GraphEdge, GraphNode, LabGraph } from "../types.js";

const COLORS = { knots: "#f7931a", core: "#2563eb", external: "#dc2626", down: "#9ca3af", edge: "#94a3b8", undeclared: "#9333ea", missing: "#dc2626", faded: "#e5e7eb" };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const graph = new Graph({ multi: false, type: "directed" });
const positions = new Map<string, { x: number; y: number }>();
let latest: LabGraph | undefined;
let hovered: string | undefined;
let sizeBy: "degree" | "bandwidth" = "degree";

function hash(text: string): number {
  let h = 2166136261;
  for (const char of text) h = Math.imul(h ^ char.charCodeAt(0), 16777619);
  return (h >>> 0) / 4294967295;
}

function nodeColor(node: GraphNode): string {
  if (node.kind === "external") return COLORS.external;
  if (!node.up) return COLORS.down;
  return node.implementation === "core" ? COLORS.core : COLORS.knots;
}

function nodeSize(node: GraphNode): number {
  if (sizeBy === "bandwidth") return 4 + Math.log10(1 + node.bytesSent + node.bytesRecv) * 1.5;
  return 5 + 2 * Math.sqrt(node.degree);
}

const escape = (text: unknown) => String(text ?? "–").replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const bytes = (n: number | undefined) => (n === undefined ? "–" : n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);

function showPanel(id: string | undefined): void {
  const node = latest?.nodes.find((n) => n.id === id);
  if (node === undefined) {
    $("panel").textContent = "Hover a node to see its details.";
    return;
  }
  const rows: [string, string][] =
    node.kind === "external"
      ? [["id", node.id], ["IP", node.ip], ["kind", "external peer"], ["bytes sent", bytes(node.bytesSent)], ["bytes received", bytes(node.bytesRecv)]]
      : [
          ["id", node.id],
          ["name", node.label],
          ["IP", node.ip],
          ["state", node.up ? "up" : `down${node.error ? ` (${node.error})` : ""}`],
          ["blocks", String(node.blocks ?? "–")],
          ["headers", String(node.headers ?? "–")],
          ["peers in / out", `${node.peersIn ?? "–"} / ${node.peersOut ?? "–"}`],
          ["implementation", `${node.implementation} ${node.version}`],
          ["version", String(node.protocolVersion ?? "–")],
          ["subversion", node.subversion ?? "–"],
          ["role", node.role ?? "–"],
          ["host", node.host ?? "–"],
          ["mempool", node.mempoolSize === undefined ? "–" : `${node.mempoolSize} tx`],
          ["bytes sent", bytes(node.bytesSent)],
          ["bytes received", bytes(node.bytesRecv)],
        ];
  const table = rows.map(([k, v]) => `<tr><th>${escape(k)}</th><td data-field="${escape(k)}">${escape(v)}</td></tr>`).join("");
  const dashboard =
    node.kind === "managed" && latest?.grafanaUrl
      ? `<p><a target="_blank" href="${escape(`${latest.grafanaUrl}/d/netlab-node/node?var-node=${encodeURIComponent(node.id)}`)}">Grafana dashboard</a></p>`
      : "";
  $("panel").innerHTML = `<table>${table}</table>${dashboard}`;
}

function showSummary(lab: LabGraph): void {
  $("title").textContent = `stack ${lab.stack} · ${lab.chain} · ${lab.nodes.filter((n) => n.kind === "managed").length} nodes`;
  $("meta").textContent = `from ${lab.source === "pulumi" ? "stack outputs" : "container labels"} · polled ${new Date(lab.polledAt).toLocaleTimeString()}`;
  const banner = $("banner");
  const top = lab.tips.byHash[0];
  if (lab.tips.byHash.length === 0) {
    banner.className = "disagree";
    banner.textContent = "no node answers";
  } else if (lab.tips.agree) {
    const down = lab.nodes.filter((n) => n.kind === "managed" && !n.up).length;
    banner.className = "agree";
    banner.textContent = `all nodes on one tip: height ${top!.height}${down ? ` (${down} down)` : ""}`;
  } else {
    banner.className = "disagree";
    banner.textContent = `tips disagree: ${lab.tips.byHash.map((t) => `${t.nodes.length} at ${t.height} (${t.hash.slice(0, 8)}…)`).join(", ")}; minority: ${lab.tips.byHash.slice(1).flatMap((t) => t.nodes).join(", ")}`;
  }
  const list = (items: { from: string; to: string }[]) => `<ul class="diff">${items.map((e) => `<li>${escape(e.from)} → ${escape(e.to)}</li>`).join("")}</ul>`;
  $("diff").innerHTML =
    lab.missing.length === 0 && lab.undeclared.length === 0
      ? "Live connections match the declared topology."
      : `${lab.missing.length ? `<b>Declared, not connected (${lab.missing.length})</b>${list(lab.missing)}` : ""}${lab.undeclared.length ? `<b>Live, not declared (${lab.undeclared.length})</b>${list(lab.undeclared)}` : ""}`;
}

function edgeAttributes(edge: GraphEdge) {
  const weight = Math.log10(1 + (edge.bytesSent ?? 0) + (edge.bytesRecv ?? 0));
  return {
    status: edge.status,
    size: edge.status === "declared-missing" ? 0.1 : 1 + weight / 2,
    color: edge.status === "undeclared" ? COLORS.undeclared : COLORS.edge,
    type: edge.status === "undeclared" ? "curved" : "arrow",
    // Missing edges are drawn dashed on the overlay canvas; sigma has no dashed edge program.
    hidden: edge.status === "declared-missing",
  };
}

function update(lab: LabGraph): void {
  latest = lab;
  const ids = new Set(lab.nodes.map((n) => n.id));
  graph.forEachNode((id) => {
    if (!ids.has(id)) graph.dropNode(id);
  });
  let added = false;
  for (const node of lab.nodes) {
    const attributes = { label: node.label, color: nodeColor(node), size: nodeSize(node), kind: node.kind };
    if (graph.hasNode(node.id)) graph.mergeNodeAttributes(node.id, attributes);
    else {
      const seed = positions.get(node.id) ?? { x: Math.cos(hash(node.id) * 2 * Math.PI) * 10, y: Math.sin(hash(node.id) * 2 * Math.PI) * 10 };
      graph.addNode(node.id, { ...attributes, ...seed });
      added = true;
    }
  }
  const edgeIds = new Set(lab.edges.map((e) => e.id));
  graph.forEachEdge((id) => {
    if (!edgeIds.has(id)) graph.dropEdge(id);
  });
  for (const edge of lab.edges) {
    if (graph.hasEdge(edge.id)) graph.mergeEdgeAttributes(edge.id, edgeAttributes(edge));
    else {
      graph.addEdgeWithKey(edge.id, edge.source, edge.target, edgeAttributes(edge));
      added = true;
    }
  }
  // Lay out only when the graph changed shape, starting from where nodes were: the picture stays still.
  if (added && graph.order > 1) {
    forceAtlas2.assign(graph, { iterations: positions.size === 0 ? 300 : 60, settings: { ...forceAtlas2.inferSettings(graph), barnesHutOptimize: graph.order > 100 } });
  }
  graph.forEachNode((id, attributes) => positions.set(id, { x: attributes.x as number, y: attributes.y as number }));
  showSummary(lab);
  showPanel(hovered);
}

const renderer = new Sigma(graph, $("graph"), {
  edgeProgramClasses: { curved: EdgeCurveProgram },
  defaultEdgeType: "arrow",
  renderEdgeLabels: false,
  labelRenderedSizeThreshold: 0,
  nodeReducer: (id, data) => {
    if (hovered === undefined || id === hovered || graph.areNeighbors(id, hovered)) return { ...data, highlighted: id === hovered };
    return { ...data, color: COLORS.faded, label: "" };
  },
  edgeReducer: (id, data) => {
    if (hovered === undefined || graph.hasExtremity(id, hovered)) return data;
    return { ...data, hidden: true };
  },
});

const overlay = $<HTMLCanvasElement>("overlay");
renderer.on("afterRender", () => {
  const { width, height } = renderer.getDimensions();
  const ratio = window.devicePixelRatio || 1;
  if (overlay.width !== width * ratio) overlay.width = width * ratio;
  if (overlay.height !== height * ratio) overlay.height = height * ratio;
  overlay.style.width = `${width}px`;
  overlay.style.height = `${height}px`;
  const context = overlay.getContext("2d")!;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  context.strokeStyle = COLORS.missing;
  context.lineWidth = 2;
  context.setLineDash([6, 5]);
  graph.forEachEdge((id, attributes, source, target) => {
    if (attributes.status !== "declared-missing") return;
    if (hovered !== undefined && !graph.hasExtremity(id, hovered)) return;
    const a = renderer.framedGraphToViewport(renderer.getNodeDisplayData(source)!);
    const b = renderer.framedGraphToViewport(renderer.getNodeDisplayData(target)!);
    context.beginPath();
    context.moveTo(a.x, a.y);
    context.lineTo(b.x, b.y);
    context.stroke();
  });
});

renderer.on("enterNode", ({ node }) => {
  hovered = node;
  showPanel(node);
  renderer.refresh({ skipIndexation: true });
});
renderer.on("leaveNode", () => {
  hovered = undefined;
  renderer.refresh({ skipIndexation: true });
});

$<HTMLSelectElement>("size").addEventListener("change", (event) => {
  sizeBy = (event.target as HTMLSelectElement).value as typeof sizeBy;
  if (latest) update(latest);
});

// For scripted use (tests, screenshots): where a node is drawn, in page coordinates.
(window as unknown as { netlabViewer: unknown }).netlabViewer = {
  nodePosition(id: string) {
    const data = renderer.getNodeDisplayData(id);
    if (!data) return undefined;
    const point = renderer.framedGraphToViewport(data);
    const box = $("graph").getBoundingClientRect();
    return { x: box.left + point.x, y: box.top + point.y };
  },
  latest: () => latest,
};

async function start(): Promise<void> {
  update((await (await fetch("/api/graph")).json()) as LabGraph);
  const events = new EventSource("/api/events");
  events.addEventListener("graph", (event) => update(JSON.parse((event as MessageEvent<string>).data) as LabGraph));
  window.addEventListener("beforeunload", () => {
    events.close();
    renderer.kill();
  });
}

start().catch((error: unknown) => {
  $("title").textContent = `cannot load the lab: ${String(error)}`;
});
