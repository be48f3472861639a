// A multi-host Swarm on one machine (scripts/swarm/hosts.sh): three dockerd, each in its own network namespace,
// one manager and two workers. Replays the seed thesis' demo — one bitcoind service scaled to 5 regtest replicas
// spread over the hosts on an overlay network, replicas peering across hosts — then kills a worker's dockerd and
// times how long the Swarm takes to run all 5 replicas again. Needs root and the image (images/build.sh).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, writeArtifact } from "./lab.js";

const SCRIPT = resolve(REPO_ROOT, "scripts/swarm/hosts.sh");
const IMAGE = "bitcoin-netlab/bitcoind:knots-29.4";
const HOSTS = ["h1", "h2", "h3"];
const HOST_IP: Record<string, string> = { h1: "10.78.0.11", h2: "10.78.0.12", h3: "10.78.0.13" };
const SERVICE = "netlab-btc";
const NETWORK = "netlab-p2p";
const REPLICAS = 5;
// A fixed directory, so the `down` in beforeAll also clears what an interrupted run left.
const dir = join(tmpdir(), "netlab-swarm-e2e");
const isRoot = process.getuid?.() === 0;

const run = promisify(execFile);
const figures: Record<string, unknown> = {};

async function hostsScript(...args: string[]): Promise<string> {
  const { stdout } = await run("bash", [SCRIPT, ...args, "--dir", dir], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

async function docker(host: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("docker", ["-H", `unix://${join(dir, host, "docker.sock")}`, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

const manager = (...args: string[]) => docker("h1", ...args);
const lines = (text: string) => text.split("\n").filter(Boolean);

async function until<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await attempt();
      if (result !== undefined) return result;
      last = undefined;
    } catch (error) {
      last = error;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`);
}

interface Task {
  id: string;
  host: string;
  container: string;
  ip: string;
  state: string;
}

let hostOfNode: Record<string, string> = {};

/** The service's tasks that should be running, with the host each was placed on and its overlay address. */
async function tasks(): Promise<Task[]> {
  const ids = lines(await manager("service", "ps", SERVICE, "-q", "--no-trunc", "--filter", "desired-state=running"));
  if (ids.length === 0) return [];
  return lines(await manager("inspect", "--format", "{{json .}}", ...ids)).map((line) => {
    const task = JSON.parse(line) as {
      ID: string;
      NodeID: string;
      Status: { State: string; ContainerStatus?: { ContainerID?: string } };
      NetworksAttachments?: { Network: { Spec: { Name: string } }; Addresses: string[] }[];
    };
    const address = task.NetworksAttachments?.find((attachment) => attachment.Network.Spec.Name === NETWORK)?.Addresses[0] ?? "";
    return {
      id: task.ID,
      host: hostOfNode[task.NodeID] ?? task.NodeID,
      container: task.Status.ContainerStatus?.ContainerID ?? "",
      ip: address.split("/")[0] ?? "",
      state: task.Status.State,
    };
  });
}

/** Polls until `count` tasks run (none on `excluded`); returns them. */
function running(count: number, timeoutMs: number, excluded?: string): Promise<Task[]> {
  return until(`${count} running replicas${excluded ? ` off ${excluded}` : ""}`, timeoutMs, async () => {
    const all = (await tasks()).filter((task) => task.state === "running" && task.host !== excluded);
    return all.length === count ? all : undefined;
  });
}

async function cli<T>(task: Task, ...args: string[]): Promise<T> {
  const output = await docker(task.host, "exec", task.container, "bitcoin-cli", ...args);
  return (output.startsWith("{") || output.startsWith("[") ? JSON.parse(output) : output) as T;
}

// RPC answers a moment after the container starts (warm-up), so ask until it does.
function chainOf(task: Task): Promise<string> {
  return until(`getblockchaininfo on ${task.host}`, 30_000, async () => (await cli<{ chain: string }>(task, "getblockchaininfo")).chain);
}

describe.skipIf(!isRoot)("multi-host Swarm of fake hosts (needs root)", () => {
  beforeAll(async () => {
    await hostsScript("down");
    const started = Date.now();
    console.log(await hostsScript("up", "--hosts", "3", "--swarm", "--images", IMAGE));
    figures.setupMs = Date.now() - started;
    figures.up = JSON.parse(readFileSync(join(dir, "up-timings.json"), "utf8"));
    hostOfNode = Object.fromEntries(lines(await manager("node", "ls", "--format", "{{.ID}} {{.Hostname}}")).map((line) => line.split(" ")));
  }, 240_000);

  afterAll(async () => {
    try {
      console.log(await hostsScript("down"));
    } finally {
      writeArtifact("swarm-hosts.json", figures);
    }
  }, 120_000);

  it("runs three daemons in one Swarm: one manager, two workers, each labelled with its host", async () => {
    const nodeIds: Record<string, string> = {};
    for (const host of HOSTS) {
      const [name, state, id] = (await docker(host, "info", "--format", "{{.Name}} {{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}")).split(" ");
      expect([name, state]).toEqual([host, "active"]);
      nodeIds[host] = id!;
    }
    const nodes = lines(await manager("node", "inspect", "--format", '{{.ID}} {{.Description.Hostname}} {{.Spec.Role}} {{.Status.State}} {{index .Spec.Labels "netlab.host"}}', ...Object.values(nodeIds)));
    expect(nodes.sort()).toEqual(
      HOSTS.map((host) => `${nodeIds[host]} ${host} ${host === "h1" ? "manager" : "worker"} ready ${host}`).sort(),
    );

    // Each daemon also answers by address from another fake host, and no fake host has a default route.
    for (const [from, to] of [["h2", "h1"], ["h3", "h2"], ["h1", "h3"]] as const) {
      const { stdout } = await run("nsenter", [`--net=/run/netns/netlab-${from}`, "docker", "-H", `tcp://${HOST_IP[to]}:2375`, "info", "--format", "{{.Name}}"]);
      expect(stdout.trim(), `${to} over tcp from ${from}`).toBe(to);
      expect((await run("ip", ["-n", `netlab-${from}`, "route", "show", "default"])).stdout.trim(), `default route in ${from}`).toBe("");
    }
  });

  it("spreads one bitcoind service scaled to 5 regtest replicas over the hosts; replicas peer across hosts", async () => {
    await manager("network", "create", "--driver", "overlay", "--attachable", "--label", "netlab.stack=swarm-e2e", NETWORK);
    const started = Date.now();
    await manager(
      "service", "create", "--detach", "--quiet", "--name", SERVICE, "--replicas", "1", "--no-resolve-image",
      "--network", NETWORK, "--endpoint-mode", "dnsrr", "--placement-pref", "spread=node.labels.netlab.host",
      // The default 5 s restart delay would also hold back rescheduling after a host dies.
      "--restart-delay", "1s", "--label", "netlab.stack=swarm-e2e",
      IMAGE, "-chain=regtest", "-dnsseed=0", "-fixedseeds=0", "-listen=1",
    );
    await running(1, 60_000);
    figures.firstReplicaMs = Date.now() - started;
    await manager("service", "scale", "--detach", `${SERVICE}=${REPLICAS}`);
    const replicas = await running(REPLICAS, 90_000);
    figures.fiveRunningMs = Date.now() - started;
    const perHost = Object.fromEntries(HOSTS.map((host) => [host, replicas.filter((task) => task.host === host).length]));
    figures.placement = perHost;
    console.log(`${REPLICAS} replicas running after ${figures.fiveRunningMs} ms, per host ${JSON.stringify(perHost)}`);
    expect(new Set(replicas.map((task) => task.host)).size).toBeGreaterThanOrEqual(2);

    const chains = await Promise.all(replicas.map(chainOf));
    expect(chains).toEqual(replicas.map(() => "regtest"));

    const a = replicas[0]!;
    const b = replicas.find((task) => task.host !== a.host)!;
    const connectStarted = Date.now();
    await cli(a, "addnode", `${b.ip}:18444`, "add");
    await until(`${a.host} ${a.ip} → ${b.host} ${b.ip} over the overlay`, 30_000, async () => {
      const outbound = await cli<{ addr: string; inbound: boolean }[]>(a, "getpeerinfo");
      const inbound = await cli<{ addr: string; inbound: boolean }[]>(b, "getpeerinfo");
      const ok = outbound.some((peer) => !peer.inbound && peer.addr === `${b.ip}:18444`) && inbound.some((peer) => peer.inbound && peer.addr.startsWith(`${a.ip}:`));
      return ok || undefined;
    });
    figures.crossHostPeerMs = Date.now() - connectStarted;
  }, 150_000);

  it("reschedules a dead worker's replicas onto the other hosts", async () => {
    const before = await running(REPLICAS, 10_000);
    const victim = ["h2", "h3"].find((host) => before.some((task) => task.host === host))!;
    const moved = before.filter((task) => task.host === victim).length;
    const pid = Number(readFileSync(join(dir, victim, "docker.pid"), "utf8"));
    const started = Date.now();
    process.kill(pid, "SIGKILL");

    const [nodeDownMs, after] = await Promise.all([
      until(`${victim} marked down`, 60_000, async () =>
        (await manager("node", "inspect", "--format", "{{.Status.State}}", victim)) === "down" ? Date.now() - started : undefined,
      ),
      running(REPLICAS, 90_000, victim).then((tasks) => [Date.now() - started, tasks] as const),
    ]);
    const [allRunningMs, replicas] = after;
    figures.failover = { victim, replicasMoved: moved, nodeDownMs, allRunningMs };
    console.log(`failover: killed ${victim}'s dockerd (${moved} replicas); node down after ${nodeDownMs} ms, ${REPLICAS} running again after ${allRunningMs} ms`);

    expect(replicas.every((task) => task.host !== victim)).toBe(true);
    const fresh = replicas.filter((task) => !before.some((old) => old.id === task.id));
    expect(fresh).toHaveLength(moved);
    expect(await Promise.all(fresh.map(chainOf))).toEqual(fresh.map(() => "regtest"));
  }, 150_000);
});
