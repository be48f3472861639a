// A 9-node lab in swarm mode over three fake hosts (scripts/swarm/hosts.sh: three dockerd in their own network
// namespaces, one Swarm): every node a service pinned to its planned host, edges by service name across hosts,
// blocks across hosts, the viewer on the overlay; then a worker host crashes, its nodes' label goes to the
// other hosts, the Swarm reschedules them there and the lab heals. Also deploys the same topology on the local
// engine and as plain containers over the same three daemons, to compare deploy times. Needs root and the images (images/build.sh).
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labNodesFromSwarm } from "../../src/exporter/discover.js";
import { watchFailover } from "../../src/lab/swarm.js";
import { VIEWER_IMAGE } from "../../src/plan/monitoring.js";
import { buildPlan } from "../../src/plan/plan.js";
import { generateRpcCredentials, type RpcCredentials } from "../../src/plan/rpcauth.js";
import { stackSettings } from "../../src/plan/stack.js";
import type { LabPlan } from "../../src/plan/types.js";
import { parseTopology } from "../../src/topology/load.js";
import { bitcoinCliOn, docker, down, execIn, manualOutbound, poll, up, type UpReport } from "../rig/index.js";
import { taskMaps } from "../rig/apply-swarm.js";
import { locateTasks, managerEndpoint, type TaskLocation } from "../rig/swarm.js";
import { unconnectedEdges } from "../rig/wait.js";
import { NINE_NODE_TOPOLOGY, fakeHosts, writeArtifact } from "./lab.js";

const STACK = "t-swarm";
const SUBNET = "10.77.63.0/24";
const PORT_BASE = 31000;
const BITCOIND = "bitcoin-netlab/bitcoind:knots-29.4";
// Its own directory: the fake hosts of multi-host and swarm-hosts tests use $TMPDIR/netlab-swarm-e2e.
const dir = join(tmpdir(), `netlab-swarm-${STACK}`);
const stateDir = mkdtempSync(join(tmpdir(), "netlab-rig-swarm-"));
const isRoot = process.getuid?.() === 0;
const run = promisify(execFile);

const { script: hostsScript, hosts: HOSTS } = fakeHosts(dir);
const TOPOLOGY = NINE_NODE_TOPOLOGY;
const figures: Record<string, unknown> = {};

let plan: LabPlan;
let credentials: RpcCredentials;
let report: UpReport;
let tasks: Map<string, TaskLocation>;
let ownHosts = false;

const cli = <T>(node: string, ...args: string[]) => {
  const task = tasks.get(node)!;
  return bitcoinCliOn<T>(task.endpoint, task.container, ...args);
};

/** Waits until `hash` is every node's best block; returns the milliseconds each took. */
async function blockEverywhere(hash: string): Promise<Record<string, number>> {
  const started = Date.now();
  const arrival: Record<string, number> = {};
  await poll(
    "the block on every node",
    async () => {
      await Promise.all(
        plan.nodes.filter((n) => arrival[n.node] === undefined).map(async (n) => {
          if ((await cli<string>(n.node, "getbestblockhash").catch(() => "")) === hash) arrival[n.node] = Date.now() - started;
        }),
      );
      return Object.keys(arrival).length === plan.nodes.length ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, describe: async () => `missing: ${plan.nodes.filter((n) => arrival[n.node] === undefined).map((n) => n.node).join(", ")}` },
  );
  return arrival;
}

const swarmPlan = (topology: string) => buildPlan(parseTopology(topology, "nine.yaml"), stackSettings(STACK, { rpcAuth: credentials.auth, subnet: SUBNET, portBase: PORT_BASE, hosts: HOSTS, mode: "swarm" }));

async function mine(node: string): Promise<string> {
  const address = await cli<string>(node, "-rpcwallet=miner", "getnewaddress");
  return (await cli<string[]>(node, "generatetoaddress", "1", address))[0]!;
}

describe.skipIf(!isRoot)("a 9-node lab as a Swarm over three hosts", () => {
  beforeAll(async () => {
    // One set of fake hosts per machine: never take down another run's (hosts.sh down clears every netlab-hN).
    const { stdout } = await run("ip", ["netns", "list"]);
    if (/^netlab-(h\d+|sw)\b/m.test(stdout) && !existsSync(join(dir, "hosts"))) throw new Error("fake hosts of another run are up (ip netns list); not touching them");
    ownHosts = true;
    await hostsScript("down");
    const started = Date.now();
    await hostsScript("up", "--hosts", "3", "--swarm", "--images", `${BITCOIND},${VIEWER_IMAGE}`);
    figures.hostsUpMs = Date.now() - started;
    // For the deploy-time comparison: the same lab as plain containers over the same three daemons first.
    const plainState = mkdtempSync(join(tmpdir(), "netlab-rig-swarm-plain-"));
    try {
        const plainCredentials = generateRpcCredentials();
        const plainPlan = buildPlan(parseTopology(TOPOLOGY, "nine.yaml"), stackSettings(STACK, { rpcAuth: plainCredentials.auth, subnet: SUBNET, portBase: PORT_BASE, hosts: HOSTS, monitoring: false }));
        figures.containersOnThreeUp = (await up(plainPlan, { credentials: plainCredentials, stateDir: plainState })).timings;
    } finally {
      await down(STACK, { stateDir: plainState, endpoints: HOSTS.map((h) => h.docker) });
      rmSync(plainState, { recursive: true, force: true });
    }
    credentials = generateRpcCredentials();
    plan = swarmPlan(TOPOLOGY);
    report = await up(plan, { credentials, stateDir, services: ["viewer"] });
    figures.swarmUp = report.timings;
    tasks = await locateTasks(plan);
  }, 540_000);

  afterAll(async () => {
    try {
      if (plan) await down(STACK, { stateDir, endpoints: HOSTS.map((h) => h.docker) }).catch((error: unknown) => console.error(error));
    } finally {
      if (ownHosts) await hostsScript("down");
      rmSync(stateDir, { recursive: true, force: true });
      writeArtifact("e2e-swarm-lab.json", figures);
    }
  }, 180_000);

  it("runs every node as a one-replica service, its task on its planned host and answering RPC", async () => {
    expect(plan.nodes.map((n) => n.host)).toEqual(["h1", "h2", "h3", "h1", "h2", "h3", "h1", "h2", "h3"]);
    const services = (await run("docker", ["-H", managerEndpoint(plan)!, "service", "ls", "--filter", `label=netlab.stack=${STACK}`, "--format", "{{.Name}} {{.Mode}} {{.Replicas}}"])).stdout;
    expect(services.trim().split("\n").sort()).toEqual(plan.nodes.map((n) => `${n.container} replicated 1/1`).sort());
    for (const node of plan.nodes) {
      expect(tasks.get(node.node)?.host, node.node).toBe(node.host);
      expect((await cli<{ chain: string }>(node.node, "getblockchaininfo")).chain).toBe("regtest");
    }
    // Nothing of a node is published on any host (RPC stays on the overlay; regtest P2P too).
    for (const host of HOSTS) {
      const ports = (await run("docker", ["-H", host.docker, "ps", "--filter", `label=netlab.stack=${STACK}`, "--filter", "label=netlab.node", "--format", "{{.Names}}:{{.Ports}}"])).stdout;
      const lines = ports.trim().split("\n").filter(Boolean);
      expect(lines.length, host.name).toBe(3);
      expect(lines.filter((line) => line.includes("->")), host.name).toEqual([]);
    }
  });

  it("connects every declared edge across hosts by service name", async () => {
    for (const edge of plan.edges) {
      expect(edge.target).toBe(`${STACK}-${edge.to}:18444`);
      expect(tasks.get(edge.from)!.host, edge.name).not.toBe(tasks.get(edge.to)!.host);
      expect(await manualOutbound(tasks.get(edge.from)!.container, tasks.get(edge.from)!.endpoint), edge.name).toContain(edge.target);
    }
  });

  it("matures the chain everywhere and carries a new block across all hosts", async () => {
    for (const node of plan.nodes) expect(await cli<number>(node.node, "getblockcount"), node.node).toBe(101);
    figures.blockArrivalMs = await blockEverywhere(await mine("n1"));
  });

  it("shows all 9 nodes with their host in the viewer on the overlay", async () => {
    const viewer = plan.services.find((s) => s.service === "viewer")!;
    const graph = await poll(
      "the viewer to see all nodes up",
      async () => {
        const result = await execIn(viewer.container, ["node", "-e", "fetch('http://127.0.0.1:8088/api/graph').then((r) => r.text()).then((t) => process.stdout.write(t))"], managerEndpoint(plan));
        const parsed = JSON.parse(result.stdout || "{}") as { nodes?: { id: string; kind: string; host?: string; up: boolean }[] };
        const managed = (parsed.nodes ?? []).filter((n) => n.kind === "managed");
        return managed.length === 9 && managed.every((n) => n.up) ? managed : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    expect(graph.map((n) => `${n.id}@${n.host}`).sort()).toEqual(plan.nodes.map((n) => `${n.node}@${n.host}`).sort());
  });

  it("lets the exporter on the manager find all 9 nodes through the Swarm's services, wherever their tasks run", async () => {
    const viewer = plan.services.find((s) => s.service === "viewer")!;
    // Names resolve on the overlay only: ask from inside the viewer's container, as the exporter's would.
    const resolveOnOverlay = async (name: string) => (await execIn(viewer.container, ["getent", "ahostsv4", name], managerEndpoint(plan))).stdout.split(/\s+/)[0] ?? "";
    const found = await labNodesFromSwarm(docker(managerEndpoint(plan)), STACK, 18443, resolveOnOverlay)();
    const located = await locateTasks(plan);
    expect(found.map((n) => n.name)).toEqual(plan.nodes.map((n) => n.node));
    for (const node of found) {
      const planned = plan.nodes.find((n) => n.node === node.name)!;
      expect(node.rpcUrl, node.name).toBe(`http://${planned.container}:18443`);
      expect(node.role, node.name).toBe(planned.role);
      expect(node.ip, node.name).toMatch(/^10\.77\.63\.\d+$/);
      // Stats come from the manager's engine: its own tasks by container, the others' fall back to the service name.
      const task = located.get(node.name)!;
      if (task.host === "h1") expect(node.container, node.name).toMatch(new RegExp(`^${planned.container}\\.1\\.`));
      else expect(node.container, node.name).toBe(planned.container);
    }
  });

  it("re-applies an added edge: only the dialling node's service is replaced, and it keeps its chain", async () => {
    const grown = swarmPlan(`${TOPOLOGY}  - { from: n4, to: n9 }\n`);
    const again = await up(grown, { credentials, stateDir, services: ["viewer"] });
    figures.reapplyEdge = again.timings;
    expect(again.replaced).toEqual(["n4"]);
    expect(again.created).toEqual([]);
    expect(again.unchanged).toHaveLength(8);
    expect(again.edgesCreated).toEqual(["n4-to-n9"]);
    plan = grown;
    tasks = await locateTasks(plan);
    expect(tasks.get("n4")!.host).toBe("h1");
    expect(await manualOutbound(tasks.get("n4")!.container, tasks.get("n4")!.endpoint)).toEqual(expect.arrayContaining(["t-swarm-n3:18444", "t-swarm-n9:18444"]));
    expect(await cli<number>("n4", "getblockcount")).toBe(102);
  }, 240_000);

  it("moves a crashed worker's nodes to the other hosts, and the lab heals", async () => {
    const victim = "h3";
    const moved = plan.nodes.filter((n) => n.host === victim).map((n) => n.node);
    const pids = (await run("sh", ["-c", `find /sys/fs/cgroup/pids/netlab-${victim} -name cgroup.procs -exec cat {} +`])).stdout.trim().split("\n").filter(Boolean).map(Number);
    expect(pids.length).toBeGreaterThan(1);
    // `netlab swarm watch`, in-process: nothing to do while every host is up.
    let started = Date.now();
    const watcherLog: string[] = [];
    const stopWatching = new AbortController();
    const watching = watchFailover({ engine: docker(managerEndpoint(plan)), intervalMs: 1000, log: (message) => watcherLog.push(`${Date.now() - started} ms: ${message}`), signal: stopWatching.signal });
    try {
    await new Promise((done) => setTimeout(done, 2500));
    expect(watcherLog).toEqual([]);
    started = Date.now();
    // The whole host dies (dockerd, containerd, shims, bitcoind): its connections close.
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    const manager = managerEndpoint(plan)!;
    await poll("the manager to mark the worker down", async () => ((await run("docker", ["-H", manager, "node", "inspect", "--format", "{{.Status.State}}", victim])).stdout.trim() === "down" ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    const nodeDownMs = Date.now() - started;

    tasks = await poll(
      "the moved nodes to run elsewhere and answer RPC",
      async () => {
        const located = await locateTasks(plan);
        const ok = await Promise.all(
          plan.nodes.map(async (n) => {
            const task = located.get(n.node);
            if (task === undefined || task.host === victim) return false;
            return bitcoinCliOn(task.endpoint, task.container, "getblockcount").then(() => true, () => false);
          }),
        );
        return ok.every(Boolean) ? located : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 500 },
    );
    const runningMs = Date.now() - started;
    for (const node of moved) expect(tasks.get(node)!.host, node).not.toBe(victim);

    let missing = plan.edges;
    await poll(
      "every declared edge connected again",
      async () => {
        const { containers, endpoints } = taskMaps(tasks);
        missing = await unconnectedEdges(plan.edges, containers, endpoints);
        return missing.length === 0 ? true : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500, describe: async () => `not connected: ${missing.map((e) => e.name).join(", ")}` },
    );
    const healedMs = Date.now() - started;
    // The moved nodes start from empty volumes and sync the chain from their peers.
    const hash = await mine("n1");
    const arrival = await blockEverywhere(hash);
    figures.failover = { victim, moved, nodeDownMs, runningElsewhereMs: runningMs, edgesConnectedMs: healedMs, blockArrivalAfterMs: arrival, placement: Object.fromEntries([...tasks].map(([n, t]) => [n, t.host])) };
    // The watcher gave the victim's label to the surviving hosts, once, so its nodes' constraint matched them.
    expect(watcherLog).toHaveLength(1);
    expect(watcherLog[0]).toMatch(/^\d+ ms: h3: no ready Swarm node runs its lab nodes; failover to h1, h2$/);
    figures.failover = { ...(figures.failover as object), watcher: watcherLog };
    console.log(`failover: ${victim} crashed; down after ${nodeDownMs} ms, moved nodes answer after ${runningMs} ms, all edges after ${healedMs} ms; ${watcherLog[0]}`);
    } finally {
      stopWatching.abort();
      await watching;
    }
  }, 420_000);
});

describe.skipIf(!isRoot)("the same 9-node lab on one engine (deploy time to compare)", () => {
  const stack = STACK;
  const oneStateDir = mkdtempSync(join(tmpdir(), "netlab-rig-swarm-one-"));
  afterAll(async () => {
    await down(stack, { stateDir: oneStateDir, endpoints: [undefined] }).catch(() => undefined);
    rmSync(oneStateDir, { recursive: true, force: true });
    writeArtifact("e2e-swarm-lab.json", figures);
  }, 120_000);

  it("deploys plain on the local engine", async () => {
    const credentials = generateRpcCredentials();
    const onePlan = buildPlan(parseTopology(TOPOLOGY, "nine.yaml"), stackSettings(stack, { rpcAuth: credentials.auth, subnet: SUBNET, portBase: PORT_BASE, monitoring: false }));
    const oneReport = await up(onePlan, { credentials, stateDir: oneStateDir });
    figures.oneEngineUp = oneReport.timings;
    expect(oneReport.created).toHaveLength(9);
  }, 300_000);
});
