// Malformed topologies: each is rejected before planning, with the file, the place in it and the problem.
import { describe, expect, it } from "vitest";
import { TopologyError, formatPath } from "../../src/topology/errors.js";
import { parseTopology } from "../../src/topology/load.js";

const FILE = "topologies/broken.yaml";

function problems(text: string): string[] {
  try {
    parseTopology(text, FILE);
  } catch (error) {
    if (error instanceof TopologyError) return error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
    throw error;
  }
  throw new Error("the topology was accepted");
}

const nodes = (...names: string[]) => `nodes:\n${names.map((n) => `  - name: ${n}`).join("\n")}\n`;

// [what is wrong, file text, expected "path: message" (regex)]
const CASES: [string, string, RegExp][] = [
  ["empty file", "", /^\(top level\): is required|chain: is required/],
  ["no chain", nodes("a"), /^chain: is required$/],
  ["unknown chain", `chain: mainnet\n${nodes("a")}`, /^chain: unknown chain "mainnet"; expected one of regtest, signet, testnet4, testnet, main$/],
  ["no nodes at all", "chain: regtest\n", /^nodes: a topology needs at least one node \(or a generator\)$/],
  ["unknown top-level field", `chain: regtest\n${nodes("a")}edgez: []\n`, /^edgez: unknown field "edgez"$/],
  ["unknown node field", "chain: regtest\nnodes:\n  - name: a\n    colour: red\n", /^nodes\[0\]\.colour: unknown field "colour"$/],
  ["node without a name", "chain: regtest\nnodes:\n  - role: miner\n", /^nodes\[0\]\.name: is required$/],
  ["upper-case name", `chain: regtest\n${nodes("Node1")}`, /^nodes\[0\]\.name: "Node1" is not a usable node name/],
  ["name with underscore", `chain: regtest\n${nodes("node_1")}`, /^nodes\[0\]\.name: "node_1" is not a usable node name/],
  ["name starting with a digit", `chain: regtest\n${nodes("'1node'")}`, /^nodes\[0\]\.name: "1node" is not a usable node name/],
  ["name ending with a hyphen", `chain: regtest\n${nodes("node-")}`, /^nodes\[0\]\.name: "node-" is not a usable node name/],
  ["name too long", `chain: regtest\n${nodes("n".repeat(41))}`, /^nodes\[0\]\.name: must be at most 40 characters$/],
  ["duplicate names", `chain: regtest\n${nodes("a", "b", "a")}`, /^nodes\[2\]\.name: duplicate node name "a" \(first declared at nodes\[0\]\)$/],
  ["unknown implementation", "chain: regtest\nnodes:\n  - name: a\n    implementation: btcd\n", /^nodes\[0\]\.implementation: unknown implementation "btcd"; expected one of core, knots$/],
  ["unknown role", "chain: regtest\nnodes:\n  - name: a\n    role: validator\n", /^nodes\[0\]\.role: unknown role "validator"; expected one of miner, relay, wallet, observer$/],
  ["version as a number", "chain: regtest\nnodes:\n  - name: a\n    version: 29.10\n", /^nodes\[0\]\.version: must be a quoted string \("29\.1"\)/],
  ["version that is no version", "chain: regtest\nnodes:\n  - name: a\n    version: latest\n", /^nodes\[0\]\.version: must look like a release version/],
  ["edge to an unknown node", `chain: regtest\n${nodes("a", "b")}edges:\n  - { from: a, to: c }\n`, /^edges\[0\]\.to: unknown node "c": declare it under nodes$/],
  ["edge from an unknown node", `chain: regtest\n${nodes("a", "b")}edges:\n  - { from: z, to: a }\n`, /^edges\[0\]\.from: unknown node "z"/],
  ["self-loop", `chain: regtest\n${nodes("a", "b")}edges:\n  - { from: a, to: a }\n`, /^edges\[0\]: self-loop: node "a" cannot connect to itself$/],
  ["duplicate edge", `chain: regtest\n${nodes("a", "b")}edges:\n  - { from: a, to: b }\n  - { from: a, to: b }\n`, /^edges\[1\]: duplicate edge a -> b: edges\[0\] already connects these nodes/],
  ["reverse duplicate edge", `chain: regtest\n${nodes("a", "b")}edges:\n  - { from: a, to: b }\n  - { from: b, to: a }\n`, /^edges\[1\]: duplicate edge b -> a: edges\[0\] already connects/],
  ["edge without to", `chain: regtest\n${nodes("a", "b")}edges:\n  - { from: a }\n`, /^edges\[0\]\.to: is required$/],
  ["rpcpassword option", "chain: regtest\nnodes:\n  - name: a\n    options: { rpcpassword: hunter2 }\n", /^nodes\[0\]\.options\.rpcpassword: option "rpcpassword" is not allowed: RPC credentials are generated per stack/],
  ["rpcuser option in defaults", `chain: regtest\ndefaults:\n  options: { rpcuser: me }\n${nodes("a")}`, /^defaults\.options\.rpcuser: option "rpcuser" is not allowed/],
  ["rpcbind to a public address", "chain: regtest\nnodes:\n  - name: a\n    options: { rpcbind: 203.0.113.7 }\n", /^nodes\[0\]\.options\.rpcbind: option "rpcbind" would expose RPC on 203\.0\.113\.7/],
  ["rpcallowip for everyone", "chain: regtest\nnodes:\n  - name: a\n    options: { rpcallowip: 0.0.0.0/0 }\n", /^nodes\[0\]\.options\.rpcallowip: option "rpcallowip" would let 0\.0\.0\.0\/0 reach RPC/],
  ["connect on a node with edges", `chain: regtest\nnodes:\n  - name: a\n    options: { connect: 10.0.0.5 }\n  - name: b\nedges:\n  - { from: a, to: b }\n`, /^nodes\[0\]\.options\.connect: option "connect" on node "a", which has edges/],
  ["listen=0 on an edge target", `chain: regtest\nnodes:\n  - name: a\n  - name: b\n    options: { listen: 0 }\nedges:\n  - { from: a, to: b }\n`, /^nodes\[1\]\.options\.listen: option "listen=0" on node "b", which other nodes connect to/],
  ["prune below 550 on main", "chain: main\nnodes:\n  - name: a\n    options: { prune: 300 }\n", /^nodes\[0\]\.options\.prune: option "prune=300" is invalid: use 0 \(off\), 1 \(manual\) or a target of at least 550 \(MiB\); a mainnet node below 550 would refuse to start$/],
  ["prune with txindex", "chain: main\nnodes:\n  - name: a\n    options: { prune: 550, txindex: 1 }\n", /^nodes\[0\]\.options\.prune: option "prune" cannot be combined with "txindex=1"/],
  ["chain option", "chain: regtest\nnodes:\n  - name: a\n    options: { testnet: 1 }\n", /^nodes\[0\]\.options\.testnet: option "testnet" is not allowed: the chain is set once/],
  ["daemon option", "chain: regtest\nnodes:\n  - name: a\n    options: { daemon: 1 }\n", /^nodes\[0\]\.options\.daemon: option "daemon" is not allowed: bitcoind must stay in the foreground/],
  ["addnode option", "chain: regtest\nnodes:\n  - name: a\n    options: { addnode: 10.1.1.1 }\n", /^nodes\[0\]\.options\.addnode: option "addnode" is not allowed: declare connections as `edges`/],
  ["option written with a dash", "chain: regtest\nnodes:\n  - name: a\n    options: { -maxconnections: 8 }\n", /^nodes\[0\]\.options\.-maxconnections: "-maxconnections" is not a bitcoind option name/],
  ["option value that is a map", "chain: regtest\nnodes:\n  - name: a\n    options: { debug: { net: 1 } }\n", /^nodes\[0\]\.options\.debug: must be a string, number or boolean/],
  ["server=0", "chain: regtest\nnodes:\n  - name: a\n    options: { server: 0 }\n", /^nodes\[0\]\.options\.server: option "server=0" turns RPC off/],
  ["disablewallet on a miner", "chain: regtest\nnodes:\n  - name: a\n    role: miner\n    options: { disablewallet: 1 }\n", /^nodes\[0\]\.options\.disablewallet: option "disablewallet" on a miner/],
  ["hashrate of 0", "chain: regtest\nnodes:\n  - name: a\n    role: miner\n    hashrate: 0\n", /^nodes\[0\]\.hashrate: must be greater than 0: a miner with no hashrate would never mine/],
  ["negative hashrate", "chain: regtest\nnodes:\n  - name: a\n    role: miner\n    hashrate: -2\n", /^nodes\[0\]\.hashrate: must be greater than 0/],
  ["hashrate as text", "chain: regtest\nnodes:\n  - name: a\n    role: miner\n    hashrate: 30%\n", /^nodes\[0\]\.hashrate: must be a positive number: the miner's share of the hashrate/],
  ["hashrate on a relay", "chain: regtest\nnodes:\n  - name: a\n    hashrate: 2\n", /^nodes\[0\]\.hashrate: node "a" has a hashrate but its role is relay: only miners mine/],
  ["hashrate on a generated non-miner", "chain: regtest\ngenerator: { model: ring, size: 3, miners: 1 }\nnodes:\n  - name: n2\n    hashrate: 2\n", /^nodes\[0\]\.hashrate: node "n2" has a hashrate but its role is relay/],
  ["hashrate in defaults", "chain: regtest\ndefaults:\n  hashrate: 2\nnodes:\n  - name: a\n", /^defaults\.hashrate: unknown field "hashrate"$/],
  ["latency without a unit", `chain: regtest\n${nodes("a", "b")}edges:\n  - { from: a, to: b, latency: 100 }\n`, /^edges\[0\]\.latency: must be a duration such as "100ms"/],
  ["latency with an unknown unit", `chain: regtest\n${nodes("a", "b")}edges:\n  - { from: a, to: b, latency: 1min }\n`, /^edges\[0\]\.latency: "1min" is not a duration: write e\.g\. "100ms"/],
  ["loss of 100%", `chain: regtest\n${nodes("a", "b")}edges:\n  - { from: a, to: b, loss: 100% }\n`, /^edges\[0\]\.loss: must be at least 0% and less than 100%/],
  ["loss that is no percentage", `chain: regtest\n${nodes("a", "b")}edges:\n  - { from: a, to: b, loss: some }\n`, /^edges\[0\]\.loss: must be a percentage such as "1%" or 1$/],
  ["bandwidth in bytes", "chain: regtest\nnodes:\n  - name: a\n    link: { bandwidth: 1MB }\n", /^nodes\[0\]\.link\.bandwidth: "1MB" is not a rate: write e\.g\. "500kbit"/],
  ["bandwidth too small", "chain: regtest\nnodes:\n  - name: a\n    link: { bandwidth: 1kbit }\n", /^nodes\[0\]\.link\.bandwidth: must be at least 8kbit$/],
  ["unknown link field", "chain: regtest\nnodes:\n  - name: a\n    link: { delay: 10ms }\n", /^nodes\[0\]\.link\.delay: unknown field "delay"$/],
  ["unknown edge field", `chain: regtest\n${nodes("a", "b")}edges:\n  - { from: a, to: b, delay: 10ms }\n`, /^edges\[0\]\.delay: unknown field "delay"$/],
  ["jitter larger than latency", `chain: regtest\n${nodes("a", "b")}edges:\n  - { from: a, to: b, latency: 10ms, jitter: 20ms }\n`, /^edges\[0\]\.jitter: jitter 20ms is larger than latency 10ms: a delay cannot be negative/],
  ["jitter without latency in defaults", `chain: regtest\ndefaults:\n  link: { jitter: 5ms }\n${nodes("a")}`, /^defaults\.link\.jitter: jitter 5ms is larger than latency \(none\)/],
  ["miner on mainnet", "chain: main\nnodes:\n  - name: a\n    role: miner\n", /^nodes\[0\]\.role: role "miner" needs chain regtest: a lab cannot mine on main$/],
  ["negative cpus", "chain: regtest\nnodes:\n  - name: a\n    resources: { cpus: -1 }\n", /^nodes\[0\]\.resources\.cpus: must be greater than 0$/],
  ["memory without unit", "chain: regtest\nnodes:\n  - name: a\n    resources: { memory: '512' }\n", /^nodes\[0\]\.resources\.memory: must be a size such as "256m" or "1g"$/],
  ["unknown generator model", "chain: regtest\ngenerator: { model: tree, size: 5 }\n", /^generator\.model: unknown generator model "tree"/],
  ["generator size zero", "chain: regtest\ngenerator: { model: line, size: 0 }\n", /^generator\.size: must be at least 1$/],
  ["generator size not whole", "chain: regtest\ngenerator: { model: line, size: 2.5 }\n", /^generator\.size: must be a whole number of nodes$/],
  ["ring of two", "chain: regtest\ngenerator: { model: ring, size: 2 }\n", /^generator\.size: a ring needs at least 3 nodes, got 2$/],
  ["erdos-renyi probability above 1", "chain: regtest\ngenerator: { model: erdos-renyi, size: 5, p: 1.5 }\n", /^generator\.p: edge probability must be greater than 0 and at most 1, got 1\.5$/],
  ["barabasi-albert m too large", "chain: regtest\ngenerator: { model: barabasi-albert, size: 5, m: 5 }\n", /^generator\.m: each new node attaches with m edges: m must be at least 1 and less than size \(5\), got 5$/],
  ["watts-strogatz odd k", "chain: regtest\ngenerator: { model: watts-strogatz, size: 10, k: 3 }\n", /^generator\.k: k \(ring neighbours per node\) must be even/],
  ["watts-strogatz beta negative", "chain: regtest\ngenerator: { model: watts-strogatz, size: 10, beta: -0.1 }\n", /^generator\.beta: rewiring probability must be between 0 and 1, got -0\.1$/],
  ["parameter of another model", "chain: regtest\ngenerator: { model: ring, size: 5, m: 2 }\n", /^generator\.m: "m" is a parameter of barabasi-albert, not of ring$/],
  ["more miners than nodes", "chain: regtest\ngenerator: { model: ring, size: 5, miners: 6 }\n", /^generator\.miners: 6 miners asked for, but the generator makes only 5 nodes$/],
  ["edge that duplicates a generated one", "chain: regtest\ngenerator: { model: line, size: 3 }\nedges:\n  - { from: n1, to: n2 }\n", /^edges\[0\]: duplicate edge n1 -> n2: the generator already connects these nodes/],
  ["YAML syntax error", "chain: regtest\nnodes:\n  - name: a\n   role: miner\n", /^\(top level\): YAML: /],
  ["duplicate YAML key", "chain: regtest\nchain: main\nnodes:\n  - name: a\n", /^\(top level\): YAML: Map keys must be unique/],
];

describe("malformed topologies", () => {
  it("has at least 30 cases", () => expect(CASES.length).toBeGreaterThanOrEqual(30));

  it.each(CASES)("rejects %s", (_what, text, expected) => {
    const found = problems(text);
    expect(found.some((problem) => expected.test(problem)), `got:\n${found.join("\n")}`).toBe(true);
  });

  it("reports every problem at once, each with the file and its line", () => {
    const text = [
      "chain: regtest",
      "nodes:",
      "  - name: a",
      "  - name: A",
      "    role: boss",
      "edges:",
      "  - { from: a, to: ghost }",
      "",
    ].join("\n");
    let error: unknown;
    try {
      parseTopology(text, FILE);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TopologyError);
    const message = (error as TopologyError).message;
    expect(message).toContain(`${FILE}: 2 problems`);
    expect(message).toContain(`${FILE}:4: nodes[1].name: "A" is not a usable node name`);
    expect(message).toContain(`${FILE}:5: nodes[1].role: unknown role "boss"`);
    // The shape is wrong, so cross-field rules (the unknown edge endpoint) are checked once the shape is fixed.
    const fixedShape = text.replace("name: A", "name: b").replace("role: boss", "role: relay");
    expect(problems(fixedShape)).toEqual(['edges[0].to: unknown node "ghost": declare it under nodes']);
  });

  it("reports an invalid default once, not once per node", () => {
    expect(problems(`chain: regtest\ndefaults:\n  options: { rpcpassword: x }\n${nodes("a", "b", "c")}`)).toHaveLength(1);
  });
});
