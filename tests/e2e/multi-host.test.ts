// A lab over three Docker hosts (the fake hosts of scripts/swarm/hosts.sh: three dockerd in their own network
// namespaces): nodes spread by the plan's placement, edges across hosts through the target host's address and
// published P2P port, blocks propagating across hosts. Applied by the rig, like the one-host labs.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPlan } from "../../src/plan/plan.js";
import { generateRpcCredentials } from "../../src/plan/rpcauth.js";
import { stackSettings } from "../../src/plan/stack.js";
import type { LabPlan } from "../../src/plan/types.js";
import { parseTopology } from "../../src/topology/load.js";
import { bitcoinCliOn, down, manualOutbound, poll, up, type UpReport } from "../rig/index.js";
import { REPO_ROOT, writeArtifact } from "./lab.js";

const SCRIPT = resolve(REPO_ROOT, "scripts/swarm/hosts.sh");
const STACK = "t-hosts";
// The same fixed directory as the Swarm test: one set of fake hosts per machine, and `down` first clears leftovers.
const dir = join(tmpdir(), "netlab-swarm-e2e");
const stateDir = mkdtempSync(join(tmpdir(), "netlab-rig-hosts-"));
const isRoot = process.getuid?.() === 0;
const run = promisify(execFile);
const hostsScript = (...args: string[]) => run("bash", [SCRIPT, ...args, "--dir", dir], { maxBuffer: 16 * 1024 * 1024 });

const HOSTS = ["h1", "h2", "h3"].map((name, i) => ({ name, docker: `unix://${join(dir, name, "docker.sock")}`, address: `10.78.0.${11 + i}` }));
const TOPOLOGY = "chain: regtest\ngenerator: { model: ring, size: 9, miners: 2 }\nedges:\n  - { from: n5, to: n1 }\n";

let plan: LabPlan;
let report: UpReport;
const endpoint = (node: string) => HOSTS.find((h) => h.name === plan.nodes.find((n) => n.node === node)!.host)!.docker;
const cli = <T>(node: string, ...args: string[]) => bitcoinCliOn<T>(endpoint(node), `${STACK}-${node}`, ...args);

describe.skipIf(!isRoot)("a lab over three Docker hosts", () => {
  beforeAll(async () => {
    await hostsScript("down");
    const started = Date.now();
    await hostsScript("up", "--hosts", "3");
    const hostsUp = Date.now() - started;
    const credentials = generateRpcCredentials();
    plan = buildPlan(parseTopology(TOPOLOGY, "nine.yaml"), stackSettings(STACK, { rpcAuth: credentials.auth, subnet: "10.77.59.0/24", portBase: 25900, hosts: HOSTS, monitoring: false }));
    report = await up(plan, { credentials, stateDir });
    writeArtifact("e2e-multi-host.json", { hostsUpMs: hostsUp, up: report.timings });
  }, 240_000);

  afterAll(async () => {
    try {
      if (plan) await down(STACK, { stateDir, endpoints: HOSTS.map((h) => h.docker) }).catch(() => undefined);
    } finally {
      await hostsScript("down");
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 120_000);

  it("spreads the nine nodes three to a host, each container on its own engine", async () => {
    expect(plan.nodes.map((n) => n.host)).toEqual(["h1", "h2", "h3", "h1", "h2", "h3", "h1", "h2", "h3"]);
    for (const host of HOSTS) {
      const { stdout } = await run("docker", ["-H", host.docker, "ps", "--filter", `label=netlab.stack=${STACK}`, "--format", "{{.Names}}"]);
      expect(stdout.trim().split("\n").sort(), host.name).toEqual(plan.nodes.filter((n) => n.host === host.name).map((n) => n.container).sort());
    }
  });

  it("connects every declared edge, across hosts through the target host's published port", async () => {
    const crossHost = plan.edges.filter((e) => plan.nodes.find((n) => n.node === e.from)!.host !== plan.nodes.find((n) => n.node === e.to)!.host);
    expect(crossHost.length).toBe(plan.edges.length); // ring over round-robin placement: every neighbour is elsewhere
    for (const edge of plan.edges) {
      expect(edge.target).toMatch(/^10\.78\.0\.1[123]:264\d\d$/); // host address : portBase + 500 + node index
      expect(await manualOutbound(`${STACK}-${edge.from}`, endpoint(edge.from)), edge.name).toContain(edge.target);
    }
  });

  it("matures the chain everywhere and carries a new block across all hosts", async () => {
    for (const node of plan.nodes) expect(await cli<number>(node.node, "getblockcount"), node.node).toBe(101);
    const address = await cli<string>("n2", "-rpcwallet=miner", "getnewaddress");
    const [hash] = await cli<string[]>("n2", "generatetoaddress", "1", address);
    const started = Date.now();
    const arrival: Record<string, number> = {};
    await poll(
      "the block on every node",
      async () => {
        await Promise.all(
          plan.nodes.filter((n) => arrival[n.node] === undefined).map(async (n) => {
            if ((await cli<string>(n.node, "getbestblockhash")) === hash) arrival[n.node] = Date.now() - started;
          }),
        );
        return Object.keys(arrival).length === plan.nodes.length ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    writeArtifact("e2e-multi-host-block.json", arrival);
  });
});
