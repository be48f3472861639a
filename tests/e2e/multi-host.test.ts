// A lab over three Docker hosts (the fake hosts of scripts/swarm/hosts.sh: three dockerd in their own network
// namespaces): nodes spread by the plan's placement, edges across hosts through the target host's address and
// published P2P port, blocks propagating across hosts. Applied by the rig, like the one-host labs.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXPORTER_IMAGE, VIEWER_IMAGE } from "../../src/plan/monitoring.js";
import { buildPlan, imageName } from "../../src/plan/plan.js";
import { generateRpcCredentials } from "../../src/plan/rpcauth.js";
import { stackSettings } from "../../src/plan/stack.js";
import type { LabPlan } from "../../src/plan/types.js";
import { parseTopology } from "../../src/topology/load.js";
import { bitcoinCliOn, down, execIn, manualOutbound, poll, up, type UpReport } from "../rig/index.js";
import { NINE_NODE_TOPOLOGY, fakeHosts, writeArtifact } from "./lab.js";

const STACK = "t-hosts";
const BITCOIND_IMAGE = imageName("knots", "29.4");
// The same fixed directory as the Swarm test: one set of fake hosts per machine, and `down` first clears leftovers.
const dir = join(tmpdir(), "netlab-swarm-e2e");
const stateDir = mkdtempSync(join(tmpdir(), "netlab-rig-hosts-"));
const isRoot = process.getuid?.() === 0;
const run = promisify(execFile);

const { script: hostsScript, hosts: HOSTS } = fakeHosts(dir);
const TOPOLOGY = NINE_NODE_TOPOLOGY;

let plan: LabPlan;
let report: UpReport;
const endpoint = (node: string) => HOSTS.find((h) => h.name === plan.nodes.find((n) => n.node === node)!.host)!.docker;
const cli = <T>(node: string, ...args: string[]) => bitcoinCliOn<T>(endpoint(node), `${STACK}-${node}`, ...args);

describe.skipIf(!isRoot)("a lab over three Docker hosts", () => {
  beforeAll(async () => {
    await hostsScript("down");
    const started = Date.now();
    await hostsScript("up", "--hosts", "3", "--images", [BITCOIND_IMAGE, VIEWER_IMAGE, EXPORTER_IMAGE].join(","));
    const hostsUp = Date.now() - started;
    const credentials = generateRpcCredentials();
    plan = buildPlan(parseTopology(TOPOLOGY, "nine.yaml"), stackSettings(STACK, { rpcAuth: credentials.auth, subnet: "10.77.59.0/24", portBase: 25900, hosts: HOSTS }));
    // The viewer and the exporter run on the first host (h1) and reach the other hosts' nodes over their addresses.
    report = await up(plan, { credentials, stateDir, services: ["viewer", "exporter"] });
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
      const { stdout } = await run("docker", ["-H", host.docker, "ps", "--filter", `label=netlab.stack=${STACK}`, "--filter", "label=netlab.node", "--format", "{{.Names}}"]);
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

  it("publishes RPC of the other hosts' nodes on their host's address only, for the services on the first host", () => {
    for (const node of plan.nodes) {
      const rpc = node.ports.find((port) => port.internal === 18443)!;
      const address = HOSTS.find((h) => h.name === node.host)!.address;
      expect(rpc.ip, node.node).toBe(node.host === "h1" ? "127.0.0.1" : address);
      expect(node.command, node.node).toContain(node.host === "h1" ? "-rpcallowip=10.77.59.0/24" : "-rpcallowip=10.78.0.11");
    }
  });

  it("shows all 9 nodes with their host in the viewer on the first host", async () => {
    const viewer = plan.services.find((s) => s.service === "viewer")!;
    const graph = await poll(
      "the viewer to see all nodes up",
      async () => {
        const result = await execIn(viewer.container, ["node", "-e", "fetch('http://127.0.0.1:8088/api/graph').then((r) => r.text()).then((t) => process.stdout.write(t))"], HOSTS[0]!.docker);
        const parsed = JSON.parse(result.stdout || "{}") as { nodes?: { id: string; kind: string; host?: string; up: boolean }[]; edges?: { source: string; target: string; state: string }[] };
        const managed = (parsed.nodes ?? []).filter((n) => n.kind === "managed");
        return managed.length === 9 && managed.every((n) => n.up) ? parsed : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    expect(graph.nodes!.filter((n) => n.kind === "managed").map((n) => `${n.id}@${n.host}`).sort()).toEqual(plan.nodes.map((n) => `${n.node}@${n.host}`).sort());
  });

  it("lets the exporter on the first host poll every node on every host", async () => {
    const exporter = plan.services.find((s) => s.service === "exporter")!;
    let logs = "";
    await poll(
      "an exporter round with every node up",
      async () => {
        const { stdout, stderr } = await run("docker", ["-H", HOSTS[0]!.docker, "logs", exporter.container], { maxBuffer: 16 * 1024 * 1024 });
        logs = stdout + stderr;
        return /round \d+: 9\/9 nodes up/.test(stdout) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000, describe: async () => logs.slice(-2000) },
    );
  }, 90_000);
});
