// Generated topologies have the shape their model promises; Warnet and GraphML files import faithfully.
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { TopologyError } from "../../src/topology/errors.js";
import { generateGraph } from "../../src/topology/generate.js";
import { loadTopology, parseTopology } from "../../src/topology/load.js";
import type { GeneratorSpec } from "../../src/topology/schema.js";

const fixtures = resolve(import.meta.dirname, "../fixtures");

function checkSimple(edges: { from: string; to: string }[]) {
  const pairs = edges.map((e) => [e.from, e.to].sort().join("|"));
  expect(new Set(pairs).size, "no duplicate edges").toBe(pairs.length);
  expect(edges.every((e) => e.from !== e.to), "no self-loops").toBe(true);
}

describe("generators", () => {
  const cases: [GeneratorSpec, number][] = [
    [{ model: "line", size: 10 }, 9],
    [{ model: "ring", size: 10 }, 10],
    [{ model: "star", size: 10 }, 9],
    [{ model: "complete", size: 10 }, 45],
    // m(m+1)/2 edges in the starting core, then m per newcomer.
    [{ model: "barabasi-albert", size: 30, m: 3 }, 6 + 3 * 26],
    // Rewiring keeps the edge count: n·k/2.
    [{ model: "watts-strogatz", size: 30, k: 4, beta: 0.3 }, 60],
  ];
  it.each(cases)("%o has the model's number of edges, no self-loops or duplicates", (spec, count) => {
    const graph = generateGraph(spec);
    expect(graph.names).toEqual(Array.from({ length: spec.size }, (_, i) => `n${i + 1}`));
    expect(graph.edges).toHaveLength(count);
    checkSimple(graph.edges);
  });

  it("makes the same random graph for the same seed, and another for another seed", () => {
    const spec = { model: "erdos-renyi", size: 40, p: 0.1 } as const;
    expect(generateGraph({ ...spec, seed: 5 })).toEqual(generateGraph({ ...spec, seed: 5 }));
    expect(generateGraph({ ...spec, seed: 5 }).edges).not.toEqual(generateGraph({ ...spec, seed: 6 }).edges);
    checkSimple(generateGraph({ ...spec, seed: 5 }).edges);
  });

  it("points every edge from the later node to the earlier one", () => {
    for (const edge of generateGraph({ model: "barabasi-albert", size: 50, m: 2, seed: 3 }).edges) {
      expect(Number(edge.from.slice(1))).toBeGreaterThan(Number(edge.to.slice(1)));
    }
  });

  it("makes the first nodes miners and lets declared nodes override generated ones", () => {
    const topology = parseTopology(
      "chain: regtest\ngenerator: { model: star, size: 5, miners: 2 }\nnodes:\n  - { name: n5, role: wallet }\n  - { name: extra }\nedges:\n  - { from: extra, to: n3 }\n",
      "gen.yaml",
    );
    expect(topology.nodes.map((n) => `${n.name}:${n.role}`)).toEqual(["n1:miner", "n2:miner", "n3:relay", "n4:relay", "n5:wallet", "extra:relay"]);
    expect(topology.edges.at(-1)).toEqual({ from: "extra", to: "n3" });
  });

  it("ships a 50-node generated lab", () => {
    const topology = loadTopology(resolve(import.meta.dirname, "../../topologies/generated-50.yaml"));
    expect(topology.nodes).toHaveLength(50);
    expect(topology.nodes.filter((n) => n.role === "miner")).toHaveLength(3);
    expect(topology.edges).toHaveLength(3 + 2 * 47);
  });
});

describe("imports", () => {
  it("reads a Warnet network.yaml with its node-defaults.yaml", () => {
    const topology = loadTopology(resolve(fixtures, "warnet/network.yaml"));
    expect(topology.chain).toBe("regtest");
    expect(topology.nodes.map((n) => [n.name, n.implementation, n.version])).toEqual([
      ["tank-0001", "core", "27.0"],
      ["tank-0002", "core", "28.1"],
      ["tank-0003", "core", "28.1"],
    ]);
    expect(topology.edges).toEqual([
      { from: "tank-0001", to: "tank-0002" },
      { from: "tank-0001", to: "tank-0003" },
      { from: "tank-0002", to: "tank-0003" },
    ]);
    expect(topology.nodes[1]).toMatchObject({ options: { dns: "1", uacomment: "tank0002", debug: ["net", "mempool"] }, cpus: 0.25, memoryMb: 128 });
  });

  it("points Warnet errors at the addnode entry that caused them", () => {
    const text = "nodes:\n  - name: tank-0001\n    addnode:\n      - tank-0009\n";
    expect(() => parseTopology(text, "network.yaml")).toThrow(TopologyError);
    expect(() => parseTopology(text, "network.yaml")).toThrow(/network\.yaml:4: nodes\[0\]\.addnode\[0\]: unknown node "tank-0009"/);
  });

  it("reads GraphML with node attributes and the chain", () => {
    const topology = loadTopology(resolve(fixtures, "ring.graphml"));
    expect(topology.nodes.map((n) => [n.name, n.role, n.version])).toEqual([
      ["n0", "miner", "28.1"],
      ["n1", "relay", "28.1"],
      ["n2", "relay", "27.2"],
    ]);
    expect(topology.nodes[1]!.options).toEqual({ uacomment: "one", debug: "net" });
    expect(topology.edges).toEqual([
      { from: "n0", to: "n1" },
      { from: "n1", to: "n2" },
      { from: "n2", to: "n0" },
    ]);
  });

  it("rejects a file that is not GraphML", () => {
    expect(() => parseTopology("<graphml><graph><node></graph>", "bad.graphml")).toThrow(/bad\.graphml: \(top level\): not readable as GraphML: /);
  });
});
