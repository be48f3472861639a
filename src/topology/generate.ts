// Graph generators for `generator:` topologies and `netlab generate`. Nodes are named <prefix>1..<prefix>N,
// and every edge points from the later node to the earlier one (a newcomer dials who was there first), so
// growing `size` appends nodes without renaming any.
import { UndirectedGraph } from "graphology";
import complete from "graphology-generators/classic/complete.js";
import path from "graphology-generators/classic/path.js";
import erdosRenyi from "graphology-generators/random/erdos-renyi.js";
import type { EdgeSpec, GeneratorSpec } from "./schema.js";
import { seededRandom } from "./random.js";

export interface GeneratedGraph {
  names: string[];
  edges: EdgeSpec[];
}

export const GENERATOR_DEFAULTS = { seed: 1, prefix: "n", miners: 1, p: 0.1, m: 2, k: 4, beta: 0.1 } as const;

type Graph = UndirectedGraph;

function ringLattice(size: number, k: number): Graph {
  const graph = new UndirectedGraph();
  for (let i = 0; i < size; i++) graph.addNode(String(i));
  for (let i = 0; i < size; i++) {
    for (let j = 1; j <= k / 2; j++) graph.mergeEdge(String(i), String((i + j) % size));
  }
  return graph;
}

function wattsStrogatz(size: number, k: number, beta: number, rng: () => number): Graph {
  const graph = ringLattice(size, k);
  for (let j = 1; j <= k / 2; j++) {
    for (let i = 0; i < size; i++) {
      const u = String(i);
      const v = String((i + j) % size);
      if (rng() >= beta || !graph.hasEdge(u, v)) continue;
      if (graph.degree(u) >= size - 1) continue;
      let w = u;
      while (w === u || graph.hasEdge(u, w)) w = String(Math.floor(rng() * size));
      graph.dropEdge(u, v);
      graph.addEdge(u, w);
    }
  }
  return graph;
}

function barabasiAlbert(size: number, m: number, rng: () => number): Graph {
  const graph = new UndirectedGraph();
  // Start from a complete core of m + 1 nodes, then attach each newcomer to m distinct nodes with
  // probability proportional to their degree.
  const core = Math.min(size, m + 1);
  const endpoints: string[] = [];
  for (let i = 0; i < core; i++) {
    graph.addNode(String(i));
    for (let j = 0; j < i; j++) {
      graph.addEdge(String(i), String(j));
      endpoints.push(String(i), String(j));
    }
  }
  for (let i = core; i < size; i++) {
    const node = String(i);
    const targets = new Set<string>();
    while (targets.size < m) targets.add(endpoints[Math.floor(rng() * endpoints.length)]!);
    graph.addNode(node);
    for (const target of targets) {
      graph.addEdge(node, target);
      endpoints.push(node, target);
    }
  }
  return graph;
}

function buildGraph(spec: GeneratorSpec): Graph {
  const size = spec.size;
  const rng = seededRandom(spec.seed ?? GENERATOR_DEFAULTS.seed);
  switch (spec.model) {
    case "line":
      return path(UndirectedGraph, size);
    case "ring": {
      const graph = path(UndirectedGraph, size);
      if (size >= 3) graph.addEdge(String(size - 1), "0");
      return graph;
    }
    case "star": {
      const graph = new UndirectedGraph();
      graph.addNode("0");
      for (let i = 1; i < size; i++) graph.mergeEdge(String(i), "0");
      return graph;
    }
    case "complete":
      return complete(UndirectedGraph, size);
    case "erdos-renyi":
      return erdosRenyi(UndirectedGraph, { order: size, probability: spec.p ?? GENERATOR_DEFAULTS.p, rng });
    case "barabasi-albert":
      return barabasiAlbert(size, spec.m ?? GENERATOR_DEFAULTS.m, rng);
    case "watts-strogatz":
      return wattsStrogatz(size, spec.k ?? GENERATOR_DEFAULTS.k, spec.beta ?? GENERATOR_DEFAULTS.beta, rng);
  }
}

/** Runs a generator whose parameters validate.ts has already checked. */
export function generateGraph(spec: GeneratorSpec): GeneratedGraph {
  const prefix = spec.prefix ?? GENERATOR_DEFAULTS.prefix;
  const graph = buildGraph(spec);
  const name = (key: string) => `${prefix}${Number(key) + 1}`;
  const names = Array.from({ length: spec.size }, (_, i) => name(String(i)));
  const edges: EdgeSpec[] = [];
  graph.forEachEdge((_edge, _attributes, a, b) => {
    const [later, earlier] = Number(a) > Number(b) ? [a, b] : [b, a];
    edges.push({ from: name(later), to: name(earlier) });
  });
  edges.sort((x, y) => compareNames(x.from, y.from) || compareNames(x.to, y.to));
  return { names, edges };
}

/** Orders n2 before n10. */
export function compareNames(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}
