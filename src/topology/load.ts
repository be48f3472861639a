// Reading a topology: netlab YAML, Warnet network.yaml or GraphML → validated, resolved Topology.
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { LineCounter, parseDocument, isMap, isSeq, type Document, type Node as YamlNode } from "yaml";
import type { z } from "zod";
import { TopologyError, type IssuePath, type TopologyIssue } from "./errors.js";
import { graphmlToTopology } from "./import-graphml.js";
import { warnetToTopology } from "./import-warnet.js";
import { resolveTopology, type Topology } from "./model.js";
import { topologySchema, type TopologyFile } from "./schema.js";
import { validateTopology } from "./validate.js";

export const FORMATS = ["netlab", "warnet", "graphml"] as const;
export type TopologyFormat = (typeof FORMATS)[number];

/** A converted file keeps a way back from paths in netlab terms to paths in the original file. */
export interface Converted {
  file: unknown;
  originalPath?: (path: IssuePath) => IssuePath;
}

export function schemaIssues(error: z.ZodError): TopologyIssue[] {
  return error.issues.flatMap((issue): TopologyIssue[] => {
    const path = issue.path as IssuePath;
    if (issue.code === "unrecognized_keys")
      return issue.keys.map((key) => ({ path: [...path, key], message: `unknown field "${key}"` }));
    if (issue.code === "invalid_key")
      return issue.issues.map((inner) => ({ path, message: inner.message }));
    if ((issue.code === "invalid_type" || issue.code === "invalid_value") && "input" in issue && issue.input === undefined)
      return [{ path, message: "is required" }];
    return [{ path, message: issue.message }];
  });
}

function lineOf(doc: Document, lines: LineCounter, path: IssuePath): number | undefined {
  // Walk as deep as the path exists in the file and report that line.
  let node: unknown = doc.contents;
  let offset: number | undefined = (node as YamlNode | null)?.range?.[0];
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === part);
      if (!pair) break;
      offset = (pair.key as YamlNode).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === "number") {
      const item = node.items[part] as YamlNode | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

export function detectFormat(file: string, text: string): TopologyFormat {
  const ext = extname(file).toLowerCase();
  if (ext === ".graphml" || ext === ".xml" || text.trimStart().startsWith("<")) return "graphml";
  // Warnet files have no chain and list connections per node under `addnode`.
  if (/^\s*-?\s*addnode\s*:/m.test(text) && !/^chain\s*:/m.test(text)) return "warnet";
  return "netlab";
}

/** Parses, validates and resolves a topology; throws TopologyError with every problem found. */
export function parseTopology(text: string, file: string, format: TopologyFormat = detectFormat(file, text)): Topology {
  const fallbackName = basename(file).replace(/\.[^.]*$/, "");
  let converted: Converted;
  let located: (path: IssuePath) => number | undefined = () => undefined;

  if (format === "graphml") {
    converted = graphmlToTopology(text, file);
  } else {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
    if (doc.errors.length > 0) {
      throw new TopologyError(
        file,
        doc.errors.map((error) => ({ path: [], line: error.linePos?.[0]?.line, message: `YAML: ${error.message.split("\n")[0]}` })),
      );
    }
    const data: unknown = doc.toJS();
    if (format === "warnet") {
      const defaultsFile = join(dirname(file), "node-defaults.yaml");
      const defaults: unknown = existsSync(defaultsFile) ? parseDocument(readFileSync(defaultsFile, "utf8")).toJS() : undefined;
      converted = warnetToTopology(data, defaults);
    } else {
      converted = { file: data };
    }
    located = (path) => lineOf(doc, lines, path);
  }

  const original = converted.originalPath ?? ((path: IssuePath) => path);
  const locate = (issues: TopologyIssue[]) =>
    issues.map((issue) => {
      const path = original(issue.path);
      return { ...issue, path, line: located(path) };
    });

  const parsed = topologySchema.safeParse(converted.file ?? {}, { reportInput: true });
  if (!parsed.success) throw new TopologyError(file, locate(schemaIssues(parsed.error)));
  const topology: TopologyFile = parsed.data;
  const problems = validateTopology(topology);
  if (problems.length > 0) throw new TopologyError(file, locate(problems));
  return resolveTopology(topology, file, fallbackName);
}

export function loadTopology(file: string, format?: TopologyFormat): Topology {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new TopologyError(file, [{ path: [], message: `cannot read the file: ${(error as Error).message}` }]);
  }
  return parseTopology(text, file, format);
}
