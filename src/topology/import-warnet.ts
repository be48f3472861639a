// Warnet network.yaml (+ optional node-defaults.yaml) → netlab topology. Warnet runs Bitcoin Core images,
// lists each node's outbound connections under `addnode`, and keeps bitcoin.conf lines in `config`.
import type { IssuePath } from "./errors.js";
import type { Converted } from "./load.js";

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** bitcoin.conf text → option map; repeated keys become lists. */
export function parseConfLines(text: string): Record<string, string | string[]> {
  const options: Record<string, string | string[]> = {};
  for (const raw of text.split(/[\n,]/)) {
    const line = raw.trim().replace(/^-/, "");
    if (line === "" || line.startsWith("#") || line.startsWith("[")) continue;
    const [key = "", ...rest] = line.split("=");
    const value = rest.length === 0 ? "1" : rest.join("=");
    const previous = options[key];
    options[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return options;
}

/** Kubernetes quantities ("100m" CPU, "128Mi" memory) → netlab resources. */
function resources(limits: unknown): Json | undefined {
  if (!isObject(limits)) return undefined;
  const out: Json = {};
  const cpu = limits.cpu;
  if (typeof cpu === "number") out.cpus = cpu;
  else if (typeof cpu === "string") out.cpus = cpu.endsWith("m") ? Number.parseFloat(cpu) / 1000 : Number.parseFloat(cpu);
  const memory = limits.memory;
  if (typeof memory === "string") {
    const match = /^([0-9.]+)(Mi|M|Gi|G)$/.exec(memory);
    out.memory = match ? `${match[1]}${match[2]!.startsWith("G") ? "g" : "m"}` : memory;
  }
  return out;
}

export function warnetToTopology(network: unknown, defaults: unknown): Converted {
  const base = isObject(defaults) ? defaults : {};
  const nodes = isObject(network) && Array.isArray(network.nodes) ? network.nodes : undefined;
  if (nodes === undefined) return { file: { chain: base.chain ?? "regtest" } };

  const tag = (node: Json): unknown => (isObject(node.image) ? node.image.tag : undefined);
  const defaultTag = tag(base);
  const defaultConfig = typeof base.config === "string" ? parseConfLines(base.config) : {};
  const edges: Json[] = [];
  const edgeOrigin: IssuePath[] = [];
  const converted = nodes.map((raw: unknown, i: number) => {
    const node = isObject(raw) ? raw : {};
    const version = tag(node) ?? defaultTag;
    const limits = isObject(node.resources) ? node.resources.limits : undefined;
    if (Array.isArray(node.addnode)) {
      node.addnode.forEach((target: unknown, j: number) => {
        edges.push({ from: node.name, to: target });
        edgeOrigin.push(["nodes", i, "addnode", j]);
      });
    }
    const options = { ...defaultConfig, ...(typeof node.config === "string" ? parseConfLines(node.config) : {}) };
    return {
      name: node.name,
      implementation: "core",
      ...(version === undefined ? {} : { version: String(version) }),
      ...(Object.keys(options).length > 0 ? { options } : {}),
      ...(resources(limits ?? (isObject(base.resources) ? base.resources.limits : undefined)) ?? {}),
    };
  }).map((node) => {
    const { cpus, memory, ...rest } = node as Json;
    return cpus === undefined && memory === undefined ? rest : { ...rest, resources: { ...(cpus === undefined ? {} : { cpus }), ...(memory === undefined ? {} : { memory }) } };
  });

  return {
    file: { chain: base.chain ?? "regtest", nodes: converted, edges },
    originalPath: (path) => (path[0] === "edges" && typeof path[1] === "number" ? [...(edgeOrigin[path[1]] ?? path)] : path),
  };
}
