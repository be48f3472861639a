// The topology file format: what a researcher writes. Shape only; cross-field rules live in validate.ts.
import { z } from "zod";
import { linkFields, linkSchema } from "./link.js";

export const CHAINS = ["regtest", "signet", "testnet4", "testnet", "main"] as const;
export const IMPLEMENTATIONS = ["core", "knots"] as const;
export const ROLES = ["miner", "relay", "wallet", "observer"] as const;
export const GENERATOR_MODELS = [
  "line",
  "ring",
  "star",
  "complete",
  "erdos-renyi",
  "barabasi-albert",
  "watts-strogatz",
] as const;

export type Chain = (typeof CHAINS)[number];
export type Implementation = (typeof IMPLEMENTATIONS)[number];
export type Role = (typeof ROLES)[number];
export type GeneratorModel = (typeof GENERATOR_MODELS)[number];

/** Longest node name: `<stack>-<node>-data` must stay a valid Docker name and `<stack>-<node>` a DNS label. */
export const MAX_NAME_LENGTH = 40;
const NAME_PATTERN = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

const oneOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, { error: (issue) => `unknown ${what} ${JSON.stringify(issue.input)}; expected one of ${values.join(", ")}` });

export const nodeName = z
  .string({ error: "must be a string" })
  .max(MAX_NAME_LENGTH, { error: `must be at most ${MAX_NAME_LENGTH} characters` })
  .regex(NAME_PATTERN, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not a usable node name: use lowercase letters, digits and "-", start with a letter, do not end with "-" (it becomes a container and DNS name)`,
  });

const version = z.string({
  error: (issue) =>
    typeof issue.input === "number"
      ? `must be a quoted string ("${issue.input}"): unquoted, YAML reads 29.10 as the number 29.1`
      : "must be a string such as \"29.4\"",
}).regex(/^[0-9][0-9A-Za-z.+-]*$/, { error: "must look like a release version, e.g. \"29.4\" or \"28.1.knots20250305\"" });

const optionScalar = z.union([z.string(), z.number(), z.boolean()], {
  error: "must be a string, number or boolean (or a list of them for repeatable options)",
});
export const optionValue = z.union([optionScalar, z.array(optionScalar).min(1)], {
  error: "must be a string, number or boolean (or a list of them for repeatable options)",
});

export const bitcoindOptions = z.record(
  z.string().regex(/^[a-z][a-z0-9]*$/, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not a bitcoind option name: write it without the leading "-" and in lowercase, e.g. "maxconnections"`,
  }),
  optionValue,
  { error: (issue) => (issue.code === "invalid_type" ? "must be a map of bitcoind option names to values" : undefined) },
);

const resources = z
  .object({
    cpus: z.number({ error: "must be a number of CPUs, e.g. 0.5" }).positive({ error: "must be greater than 0" }).max(256),
    memory: z
      .string({ error: "must be a string such as \"256m\" or \"1g\"" })
      .regex(/^[0-9]+(\.[0-9]+)?[mg]$/i, { error: "must be a size such as \"256m\" or \"1g\"" }),
  })
  .partial()
  .strict();

const nodeFields = {
  implementation: oneOf(IMPLEMENTATIONS, "implementation"),
  version,
  role: oneOf(ROLES, "role"),
  options: bitcoindOptions,
  host: z.string({ error: "must be the name of a host from the stack's hosts" }).min(1),
  /** Place the node only on stack hosts carrying all these labels. */
  hostLabels: z.record(z.string(), z.string(), { error: "must be a map of host label names to values" }),
  resources,
  /** Link conditions for every edge of the node (an edge's own values win). */
  link: linkSchema,
};

export const PLACEMENTS = ["spread", "binpack"] as const;
export type Placement = (typeof PLACEMENTS)[number];

export const defaultsSchema = z.object(nodeFields).partial().strict();

/** A miner's share of the lab's hashrate, relative to the other miners' (normalised over all miners). */
const hashrate = z
  .number({ error: "must be a positive number: the miner's share of the hashrate, relative to the other miners' (e.g. 3 and 1 for 75 % and 25 %)" })
  .positive({ error: "must be greater than 0: a miner with no hashrate would never mine (give the node another role instead)" })
  .max(1e12, { error: "must be at most 1e12 (shares are relative: 3 and 1 mean 75 % and 25 %)" });

export const nodeSchema = z
  .object({ name: nodeName, ...nodeFields, hashrate })
  .partial({ implementation: true, version: true, role: true, options: true, host: true, hostLabels: true, resources: true, hashrate: true, link: true })
  .strict();

export const edgeSchema = z.object({ from: nodeName, to: nodeName }).extend(z.object(linkFields).partial().shape).strict();

const integer = (what: string) => z.number({ error: `must be ${what}` }).int({ error: `must be ${what}` });

export const generatorSchema = z
  .object({
    model: oneOf(GENERATOR_MODELS, "generator model"),
    size: integer("a whole number of nodes").min(1, { error: "must be at least 1" }).max(1000, { error: "must be at most 1000" }),
    seed: integer("a whole number").min(0).optional(),
    prefix: z.string().regex(/^[a-z][a-z0-9-]*$/, { error: "must be lowercase letters, digits and \"-\", starting with a letter" }).optional(),
    miners: integer("a whole number").min(0).optional(),
    /** erdos-renyi: edge probability. */
    p: z.number({ error: "must be a probability between 0 and 1" }).optional(),
    /** barabasi-albert: edges each new node attaches with. */
    m: integer("a whole number").optional(),
    /** watts-strogatz: each node's neighbours in the starting ring (even). */
    k: integer("a whole number").optional(),
    /** watts-strogatz: rewiring probability. */
    beta: z.number({ error: "must be a probability between 0 and 1" }).optional(),
  })
  .strict();

export const topologySchema = z
  .object({
    name: z.string().optional(),
    description: z.string().optional(),
    chain: oneOf(CHAINS, "chain"),
    defaults: defaultsSchema.optional(),
    nodes: z.array(nodeSchema).optional(),
    edges: z.array(edgeSchema).optional(),
    generator: generatorSchema.optional(),
    /** How nodes without a named host are spread over the stack's hosts (as Swarm names the strategies). */
    placement: oneOf(PLACEMENTS, "placement").optional(),
  })
  .strict();

export type BitcoindOptions = z.infer<typeof bitcoindOptions>;
export type OptionValue = z.infer<typeof optionValue>;
export type NodeSpec = z.infer<typeof nodeSchema>;
export type EdgeSpec = z.infer<typeof edgeSchema>;
export type GeneratorSpec = z.infer<typeof generatorSchema>;
export type TopologyFile = z.infer<typeof topologySchema>;
export type Resources = z.infer<typeof resources>;
