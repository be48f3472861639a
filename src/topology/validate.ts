// Rules that span fields: names, edges, generator parameters and bitcoind options that would break a lab.
// Runs after the schema accepted the shape; returns every problem, never stops at the first.
import ipaddr from "ipaddr.js";
import type { IssuePath, TopologyIssue } from "./errors.js";
import { GENERATOR_DEFAULTS, generateGraph } from "./generate.js";
import { durationMs, type LinkSpec } from "./link.js";
import type { BitcoindOptions, EdgeSpec, GeneratorSpec, OptionValue, TopologyFile } from "./schema.js";

/** Options the lab sets itself, with why a topology may not. */
const MANAGED_OPTIONS: Record<string, string> = {
  chain: "the chain is set once, by the topology's `chain`",
  regtest: "the chain is set once, by the topology's `chain`",
  testnet: "the chain is set once, by the topology's `chain`",
  testnet4: "the chain is set once, by the topology's `chain`",
  signet: "the chain is set once, by the topology's `chain`",
  datadir: "the data directory is the node's volume, set by the image",
  conf: "bitcoin.conf is written by the image from the plan",
  includeconf: "bitcoin.conf is written by the image from the plan",
  daemon: "bitcoind must stay in the foreground or its container exits",
  daemonwait: "bitcoind must stay in the foreground or its container exits",
  rpcuser: "RPC credentials are generated per stack and given to nodes as rpcauth",
  rpcpassword: "RPC credentials are generated per stack; a password here would sit in plain text in the container",
  rpccookiefile: "the cookie lets `netlab rpc` and the healthcheck reach the node; keep its default place",
  port: "P2P ports are the chain's defaults inside the lab network; host ports are set per stack",
  rpcport: "RPC ports are the chain's defaults inside the lab network; host ports are set per stack",
  addnode: "declare connections as `edges`, so the lab can show and change them without a restart",
};

const truthy = (value: OptionValue): boolean => !["0", "false", ""].includes(String(value).toLowerCase());
const values = (value: OptionValue): (string | number | boolean)[] => (Array.isArray(value) ? value : [value]);

/** True for addresses (or ranges) reachable beyond this machine and its private networks; 0.0.0.0 means all. */
function isPublicAddress(text: string): boolean {
  const [host = "", bits] = text.replace(/^\[|\]$/g, "").split("/");
  const address = host.replace(/^\[?([^\]]*)\]?:\d+$/, "$1");
  if (!ipaddr.isValid(address)) return false;
  if (bits !== undefined && Number(bits) === 0) return true;
  return !["private", "loopback", "linkLocal", "uniqueLocal"].includes(ipaddr.process(address).range());
}

interface NodeContext {
  name: string;
  role: string | undefined;
  /** Where this node's options come from, for error paths. */
  optionPath: (key: string) => IssuePath;
  options: BitcoindOptions;
  hasEdges: boolean;
  isEdgeTarget: boolean;
}

function checkOptions(node: NodeContext, chain: string, report: (path: IssuePath, message: string) => void): void {
  for (const [key, value] of Object.entries(node.options)) {
    const at = node.optionPath(key);
    const managed = MANAGED_OPTIONS[key];
    if (managed !== undefined) {
      report(at, `option "${key}" is not allowed: ${managed}`);
      continue;
    }
    switch (key) {
      case "rpcbind": {
        const exposed = values(value).map(String).filter(isPublicAddress);
        report(
          at,
          exposed.length > 0
            ? `option "rpcbind" would expose RPC on ${exposed.join(", ")}: RPC listens only inside the lab network and is published on 127.0.0.1`
            : `option "rpcbind" is not allowed: RPC listens inside the lab network and is published on 127.0.0.1 by the lab`,
        );
        break;
      }
      case "rpcallowip": {
        const exposed = values(value).map(String).filter(isPublicAddress);
        if (exposed.length > 0) report(at, `option "rpcallowip" would let ${exposed.join(", ")} reach RPC; allow only private or loopback ranges`);
        break;
      }
      case "connect":
        if (node.hasEdges && values(value).some((v) => truthy(v)))
          report(at, `option "connect" on node "${node.name}", which has edges: with connect, bitcoind makes no other connections, so its edges would never connect`);
        break;
      case "listen":
        if (node.isEdgeTarget && !values(value).every(truthy))
          report(at, `option "listen=0" on node "${node.name}", which other nodes connect to: their edges would never connect`);
        break;
      case "server":
        if (!values(value).every(truthy)) report(at, `option "server=0" turns RPC off, which the lab needs to manage the node`);
        break;
      case "prune": {
        const prune = Number(values(value)[0]);
        if (!Number.isInteger(prune) || prune < 0 || (prune > 1 && prune < 550))
          report(at, `option "prune=${String(value)}" is invalid: use 0 (off), 1 (manual) or a target of at least 550 (MiB)${chain === "main" ? "; a mainnet node below 550 would refuse to start" : ""}`);
        else if (prune > 0 && node.options.txindex !== undefined && truthy(node.options.txindex as OptionValue))
          report(at, `option "prune" cannot be combined with "txindex=1" on node "${node.name}": bitcoind refuses to start`);
        break;
      }
      case "disablewallet":
        if ((node.role === "miner" || node.role === "wallet") && values(value).some(truthy))
          report(at, `option "disablewallet" on a ${node.role}: miners and wallets need their wallet`);
        break;
    }
  }
}

function checkGenerator(generator: GeneratorSpec, report: (path: IssuePath, message: string) => void): void {
  const at = (field: string): IssuePath => ["generator", field];
  const { model, size } = generator;
  const uses: Record<string, readonly string[]> = { p: ["erdos-renyi"], m: ["barabasi-albert"], k: ["watts-strogatz"], beta: ["watts-strogatz"] };
  for (const [field, models] of Object.entries(uses)) {
    if (generator[field as keyof GeneratorSpec] !== undefined && !models.includes(model))
      report(at(field), `"${field}" is a parameter of ${models.join(", ")}, not of ${model}`);
  }
  if (model === "ring" && size < 3) report(at("size"), `a ring needs at least 3 nodes, got ${size}`);
  if ((model === "star" || model === "line") && size < 2) report(at("size"), `a ${model} needs at least 2 nodes, got ${size}`);
  if (model === "erdos-renyi") {
    const p = generator.p ?? GENERATOR_DEFAULTS.p;
    if (!(p > 0 && p <= 1)) report(at("p"), `edge probability must be greater than 0 and at most 1, got ${p}`);
  }
  if (model === "barabasi-albert") {
    const m = generator.m ?? GENERATOR_DEFAULTS.m;
    if (m < 1 || m >= size) report(at("m"), `each new node attaches with m edges: m must be at least 1 and less than size (${size}), got ${m}`);
  }
  if (model === "watts-strogatz") {
    const k = generator.k ?? GENERATOR_DEFAULTS.k;
    const beta = generator.beta ?? GENERATOR_DEFAULTS.beta;
    if (k < 2 || k % 2 !== 0 || k >= size) report(at("k"), `k (ring neighbours per node) must be even, at least 2 and less than size (${size}), got ${k}`);
    if (!(beta >= 0 && beta <= 1)) report(at("beta"), `rewiring probability must be between 0 and 1, got ${beta}`);
  }
  if (generator.miners !== undefined && generator.miners > size)
    report(at("miners"), `${generator.miners} miners asked for, but the generator makes only ${size} nodes`);
}

/** jitter larger than latency would ask for negative delays. */
function checkLink(link: LinkSpec | undefined, at: IssuePath, report: (path: IssuePath, message: string) => void): void {
  if (link?.jitter === undefined) return;
  const latency = link.latency === undefined ? 0 : durationMs(link.latency);
  if (durationMs(link.jitter) > latency)
    report([...at, "jitter"], `jitter ${link.jitter} is larger than latency ${link.latency ?? "(none)"}: a delay cannot be negative; give a latency at least as large as the jitter`);
}

/** Checks everything the schema cannot; the file is already of the right shape. */
export function validateTopology(file: TopologyFile): TopologyIssue[] {
  const issues: TopologyIssue[] = [];
  const report = (path: IssuePath, message: string) => issues.push({ path, message });

  const declared = file.nodes ?? [];
  if (declared.length === 0 && file.generator === undefined) report(["nodes"], "a topology needs at least one node (or a generator)");

  let generatedNames: string[] = [];
  let generatedEdges: EdgeSpec[] = [];
  if (file.generator !== undefined) {
    const before = issues.length;
    checkGenerator(file.generator, report);
    if (issues.length === before) ({ names: generatedNames, edges: generatedEdges } = generateGraph(file.generator));
  }

  const known = new Set(generatedNames);
  const firstSeen = new Map<string, number>();
  declared.forEach((node, i) => {
    const first = firstSeen.get(node.name);
    if (first !== undefined) report(["nodes", i, "name"], `duplicate node name "${node.name}" (first declared at nodes[${first}])`);
    else firstSeen.set(node.name, i);
    known.add(node.name);
  });

  const edgeKeys = new Map<string, string>();
  for (const edge of generatedEdges) edgeKeys.set([edge.from, edge.to].sort().join("|"), "the generator");
  const outbound = new Set<string>();
  const inbound = new Set<string>();
  for (const edge of generatedEdges) {
    outbound.add(edge.from);
    inbound.add(edge.to);
  }
  (file.edges ?? []).forEach((edge, i) => {
    let ok = true;
    for (const end of ["from", "to"] as const) {
      if (!known.has(edge[end])) {
        report(["edges", i, end], `unknown node "${edge[end]}": declare it under nodes${file.generator ? " or let the generator make it" : ""}`);
        ok = false;
      }
    }
    if (edge.from === edge.to) {
      report(["edges", i], `self-loop: node "${edge.from}" cannot connect to itself`);
      ok = false;
    }
    if (!ok) return;
    const key = [edge.from, edge.to].sort().join("|");
    const previous = edgeKeys.get(key);
    if (previous !== undefined)
      report(["edges", i], `duplicate edge ${edge.from} -> ${edge.to}: ${previous} already connects these nodes (a Bitcoin connection carries traffic both ways)`);
    else edgeKeys.set(key, `edges[${i}]`);
    outbound.add(edge.from);
    inbound.add(edge.to);
  });

  (file.edges ?? []).forEach((edge, i) => checkLink(edge, ["edges", i], report));
  declared.forEach((node, i) => checkLink(node.link, ["nodes", i, "link"], report));

  const defaults = file.defaults ?? {};
  checkLink(defaults.link, ["defaults", "link"], report);
  const nodeContexts: NodeContext[] = [];
  const overrides = new Map(declared.map((node, i) => [node.name, i] as const));
  const allNames = [...generatedNames, ...declared.map((n) => n.name).filter((n) => !generatedNames.includes(n))];
  for (const name of new Set(allNames)) {
    const index = overrides.get(name);
    const spec = index === undefined ? undefined : declared[index];
    const own = spec?.options ?? {};
    nodeContexts.push({
      name,
      role: spec?.role ?? defaults.role,
      options: { ...(defaults.options ?? {}), ...own },
      optionPath: (key) => (key in own && index !== undefined ? ["nodes", index, "options", key] : ["defaults", "options", key]),
      hasEdges: outbound.has(name) || inbound.has(name),
      isEdgeTarget: inbound.has(name),
    });
  }
  const seen = new Set<string>();
  for (const node of nodeContexts) {
    checkOptions(node, file.chain, (path, message) => {
      // An invalid default is reported once, not once per node that inherits it.
      const key = `${path.join(".")}|${message.replace(/"[^"]*"/g, "")}`;
      if (path[0] === "defaults" && seen.has(key)) return;
      seen.add(key);
      report(path, message);
    });
  }

  // A hashrate share only means something on a miner (declared, or made one by the generator).
  const generatedMiners = new Set(generatedNames.slice(0, file.generator?.miners ?? (file.chain === "regtest" ? GENERATOR_DEFAULTS.miners : 0)));
  declared.forEach((node, i) => {
    if (node.hashrate === undefined) return;
    const role = node.role ?? (generatedMiners.has(node.name) ? "miner" : (defaults.role ?? "relay"));
    if (role !== "miner") report(["nodes", i, "hashrate"], `node "${node.name}" has a hashrate but its role is ${role}: only miners mine (add role: miner, or drop hashrate)`);
  });

  if (file.chain !== "regtest") {
    if (defaults.role === "miner") report(["defaults", "role"], `role "miner" needs chain regtest: a lab cannot mine on ${file.chain}`);
    declared.forEach((node, i) => {
      if (node.role === "miner") report(["nodes", i, "role"], `role "miner" needs chain regtest: a lab cannot mine on ${file.chain}`);
    });
    if (file.generator?.miners) report(["generator", "miners"], `miners need chain regtest: a lab cannot mine on ${file.chain}`);
  }
  return issues;
}
