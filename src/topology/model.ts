// The resolved topology: defaults applied, generator expanded. What the planner reads.
import { GENERATOR_DEFAULTS, generateGraph } from "./generate.js";
import { hasConditions, mergeLink, resolveLink, type LinkConditions, type LinkSpec } from "./link.js";
import type { BitcoindOptions, Chain, Implementation, Placement, Role, TopologyFile } from "./schema.js";

/** Versions used when a topology names none. Knots: the version Debian sid ships, which these machines build. */
export const DEFAULT_VERSIONS: Record<Implementation, string> = { knots: "29.4", core: "29.1" };
export const DEFAULT_IMPLEMENTATION: Implementation = "knots";
export const DEFAULT_ROLE: Role = "relay";
/** A miner's hashrate share when it declares none: miners without one share equally. */
export const DEFAULT_HASHRATE = 1;

export interface LabNode {
  name: string;
  implementation: Implementation;
  version: string;
  role: Role;
  options: BitcoindOptions;
  /** Name of the stack host the node must run on; undefined lets placement choose. */
  host: string | undefined;
  /** Labels a host must carry to run the node. */
  hostLabels: Record<string, string>;
  cpus: number | undefined;
  memoryMb: number | undefined;
  /** Miners: the declared hashrate share (relative), or 1; undefined for other roles. */
  hashrate: number | undefined;
}

export interface LabEdgeSpec {
  from: string;
  to: string;
  /** Conditions on this edge (its own, else its dialling node's, else its target node's); undefined if none. */
  link: LinkConditions | undefined;
}

export interface Topology {
  name: string;
  chain: Chain;
  /** File the topology came from, for error messages. */
  source: string;
  nodes: LabNode[];
  edges: LabEdgeSpec[];
  placement: Placement;
}

function memoryMb(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const amount = Number.parseFloat(text);
  return Math.round(text.toLowerCase().endsWith("g") ? amount * 1024 : amount);
}

/** Applies defaults and expands the generator of a topology that validated cleanly. */
export function resolveTopology(file: TopologyFile, source: string, fallbackName: string): Topology {
  const defaults = file.defaults ?? {};
  const generated = file.generator ? generateGraph(file.generator) : { names: [], edges: [] };
  const miners = file.generator?.miners ?? (file.chain === "regtest" ? GENERATOR_DEFAULTS.miners : 0);
  const declared = new Map((file.nodes ?? []).map((node) => [node.name, node] as const));
  const nodeLink = (name: string): LinkSpec | undefined => mergeLink(declared.get(name)?.link, defaults.link);
  const names = [...generated.names, ...(file.nodes ?? []).map((n) => n.name).filter((n) => !generated.names.includes(n))];

  const nodes = names.map((name, index): LabNode => {
    const spec = declared.get(name);
    const implementation = spec?.implementation ?? defaults.implementation ?? DEFAULT_IMPLEMENTATION;
    const generatedRole: Role | undefined = index < generated.names.length && index < miners ? "miner" : undefined;
    const resources = { ...(defaults.resources ?? {}), ...(spec?.resources ?? {}) };
    const role = spec?.role ?? generatedRole ?? defaults.role ?? DEFAULT_ROLE;
    return {
      name,
      implementation,
      version: spec?.version ?? defaults.version ?? DEFAULT_VERSIONS[implementation],
      role,
      options: { ...(defaults.options ?? {}), ...(spec?.options ?? {}) },
      host: spec?.host ?? defaults.host,
      hostLabels: { ...(defaults.hostLabels ?? {}), ...(spec?.hostLabels ?? {}) },
      cpus: resources.cpus,
      memoryMb: memoryMb(resources.memory),
      hashrate: role === "miner" ? (spec?.hashrate ?? DEFAULT_HASHRATE) : undefined,
    };
  });
  return {
    name: file.name ?? fallbackName,
    chain: file.chain,
    source,
    nodes,
    edges: [...generated.edges, ...(file.edges ?? [])].map(({ from, to, ...own }): LabEdgeSpec => {
      const link = resolveLink(mergeLink(own as LinkSpec, nodeLink(from), nodeLink(to)));
      return { from, to, link: hasConditions(link) ? link : undefined };
    }),
    placement: file.placement ?? "spread",
  };
}

