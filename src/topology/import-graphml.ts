// GraphML (e.g. Warnet's older graph files, or a graph exported from Gephi/NetworkX) → netlab topology.
// Node attributes used: name or label, implementation, version, role, bitcoin_config; graph attribute: chain.
import { DOMParser } from "@xmldom/xmldom";
import { MultiGraph } from "graphology";
import { parse } from "graphology-graphml";
import { TopologyError } from "./errors.js";
import type { Converted } from "./load.js";
import { parseConfLines } from "./import-warnet.js";

export function graphmlToTopology(text: string, file: string): Converted {
  const problems: string[] = [];
  const report = (message: string) => problems.push(message.replace(/\s+/g, " ").trim());
  const document = new DOMParser({ errorHandler: { warning: () => {}, error: report, fatalError: report } }).parseFromString(text, "text/xml");
  let graph: MultiGraph | undefined;
  try {
    if (problems.length === 0) graph = parse(MultiGraph, document as unknown as Document, { addMissingNodes: true });
  } catch (error) {
    report((error as Error).message);
  }
  if (graph === undefined || problems.length > 0)
    throw new TopologyError(file, [{ path: [], message: `not readable as GraphML: ${problems.join("; ") || "no graph element"}` }]);
  const names = new Map<string, string>();
  const nodes: Record<string, unknown>[] = [];
  graph.forEachNode((key, attributes) => {
    const label = attributes.name ?? attributes.label ?? key;
    const name = /^[0-9]+$/.test(String(label)) ? `n${label}` : String(label);
    names.set(key, name);
    const config = attributes.bitcoin_config;
    const options = typeof config === "string" && config.trim() !== "" ? parseConfLines(config.replace(/\s+-/g, "\n-")) : undefined;
    nodes.push({
      name,
      ...(attributes.implementation ? { implementation: attributes.implementation } : {}),
      ...(attributes.version ? { version: String(attributes.version) } : {}),
      ...(attributes.role ? { role: attributes.role } : {}),
      ...(options ? { options } : {}),
    });
  });
  const edges: { from: string; to: string }[] = [];
  graph.forEachEdge((_edge, _attributes, source, target) => edges.push({ from: names.get(source)!, to: names.get(target)! }));
  return { file: { chain: graph.getAttribute("chain") ?? "regtest", nodes, edges } };
}
