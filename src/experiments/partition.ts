// netlab experiment partition: cut a group of nodes off from the rest of a running regtest lab, let each side
// mine its own chain, heal the cut, and measure how fast the lab agrees on one tip and who reorganised.
//
// The cut: added-node entries across the cut are removed on both sides (bitcoind re-dials added nodes within
// seconds), every node bans every node of the other side (so no automatic outbound connection can pick one; the
// lab whitelists its subnet with `noban`, so bans do not refuse inbound connections — removing the added nodes is
// what keeps the sides apart), and the remaining connections across are disconnected. A watchdog cuts again any
// connection that reappears and reports it. The heal restores exactly the removed entries (add + onetry) and
// lifts exactly the bans it set, also when the experiment fails or is interrupted.
import { performance } from "node:perf_hooks";
import { LabCommandError } from "../lab/docker.js";
import { watchFirstSeen, type MethodName } from "./first-seen.js";
import { byName, components, type NodeAddress } from "./graph.js";
import { addedNodes, connectLab, declaredEdges, newAddress, tips, type Lab, type LabNode } from "./lab.js";
import { crossingConnections, forkHeight, planCut, summariseReorg, type AddedNodeEntry, type Ban, type Peer } from "./partition-analysis.js";
import { renderPartitionHtml, type PartitionResult, type SideResult } from "./partition-report.js";
import { callAllowing } from "./rpc.js";
import { mapLimit, sleep, until, writeResults, type Log } from "./util.js";

export interface PartitionOptions {
  stack: string;
  group: string[];
  /** Blocks each side mines during the partition. */
  blocksEach: number;
  /** Extra blocks the winning side mines, so that the heavier chain decides (equal work would keep both tips). */
  lead: number;
  winner: "group" | "rest";
  banSeconds: number;
  /** Seconds the sides stay apart after both agreed on their tips, before the heal. */
  holdSeconds: number;
  outDir: string;
  method: MethodName;
  timeoutMs: number;
  log: Log;
}

const CONCURRENCY = 8;

type Side = "group" | "rest";

const byEntry = (a: { node: string; peer: string }, b: { node: string; peer: string }) => byName(a.node, b.node) || byName(a.peer, b.peer);

async function peersOf(lab: Lab): Promise<Record<string, Peer[]>> {
  return Object.fromEntries(await Promise.all(lab.nodes.map(async (node) => [node.name, await node.rpc.call<Peer[]>("getpeerinfo")] as const)));
}

/** Disconnects each live connection across the cut; returns the ones found. */
async function cutLiveConnections(lab: Lab, addresses: NodeAddress[], group: Set<string>) {
  const crossing = crossingConnections(addresses, group, await peersOf(lab));
  // -29: already disconnected.
  await mapLimit(crossing, CONCURRENCY, (c) => callAllowing(lab.node(c.node).rpc, [-29], "disconnectnode", ["", c.id]));
  return crossing;
}

/** Waits until every node of `nodes` reports `hash` as its tip; undefined on timeout, else when. */
async function allOnTip(lab: Lab, nodes: LabNode[], hash: string, timeoutMs: number): Promise<number | undefined> {
  return until(async () => (Object.values(await tips(lab, nodes)).every((tip) => tip === hash) ? performance.now() : undefined), timeoutMs, 50);
}

export async function runPartition(options: PartitionOptions): Promise<{ result: PartitionResult; files: { json: string; html: string } }> {
  const { log } = options;
  const startedAt = new Date().toISOString();
  const lab = await connectLab(options.stack);
  const groupNames = options.group.map((name) => lab.node(name).name);
  const group = new Set(groupNames);
  const sideOf = (name: string): Side => (group.has(name) ? "group" : "rest");
  const members: Record<Side, LabNode[]> = { group: lab.nodes.filter((n) => group.has(n.name)), rest: lab.nodes.filter((n) => !group.has(n.name)) };
  if (members.group.length === 0) throw new LabCommandError("--group names no node");
  if (members.rest.length === 0) throw new LabCommandError(`--group holds every node of stack "${options.stack}": leave at least one outside`);
  const miner: Record<Side, LabNode> = {} as Record<Side, LabNode>;
  for (const side of ["group", "rest"] as const) {
    const found = members[side].find((node) => node.role === "miner" && node.wallet !== undefined);
    if (found === undefined)
      throw new LabCommandError(`the ${side === "group" ? "group" : "rest of the lab"} (${members[side].map((n) => n.name).join(", ")}) has no miner with a wallet: each side must mine its own chain; choose a group that splits the miners`);
    miner[side] = found;
  }
  const edges = await declaredEdges(lab);
  for (const side of ["group", "rest"] as const) {
    const names = members[side].map((n) => n.name);
    const parts = components(names, edges);
    if (parts.length > 1)
      throw new LabCommandError(
        `the ${side === "group" ? "group" : "rest of the lab"} is not connected by declared edges among itself (${parts.map((p) => p.join(",")).join(" | ")}): its nodes could not agree on one tip during the partition`,
      );
  }
  const addresses: NodeAddress[] = lab.nodes.map((node) => ({ name: node.name, ip: node.ip, p2p: node.p2p, ...(node.relays === undefined ? {} : { relays: node.relays }) }));
  const winnerSide = options.winner;
  const blocks: Record<Side, number> = { group: options.blocksEach + (winnerSide === "group" ? options.lead : 0), rest: options.blocksEach + (winnerSide === "rest" ? options.lead : 0) };

  const watcher = await watchFirstSeen(lab.nodes, options.method);
  const removed: AddedNodeEntry[] = [];
  const bans: Ban[] = [];
  let healed = false;
  const heal = async () => {
    if (healed) return;
    healed = true;
    // -30: ban not found; -23: already added.
    await mapLimit(bans, CONCURRENCY, (ban) => callAllowing(lab.node(ban.node).rpc, [-30], "setban", [ban.ip, "remove"]));
    await mapLimit(removed, CONCURRENCY, async (entry) => {
      const rpc = lab.node(entry.node).rpc;
      await callAllowing(rpc, [-23], "addnode", [entry.target, "add"]);
      // "add" only queues the peer for bitcoind's next added-node pass; "onetry" dials now.
      await callAllowing(rpc, [-23], "addnode", [entry.target, "onetry"]);
    });
  };
  const interrupted = () => {
    log("interrupted: healing the partition before exiting");
    void heal().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);

  try {
    // Warm-up: a block every node must report (the feeds work, the lab is on one tip); it is the fork point.
    const [forkHash] = await miner.rest.rpc.call<string[]>("generatetoaddress", [1, await newAddress(miner.rest)]);
    const coinbase = (await miner.rest.rpc.call<{ tx: string[] }>("getblock", [forkHash, 1])).tx[0]!;
    const silent = await watcher.unconfirmed({ hash: forkHash!, coinbase }, lab.nodes.map((n) => n.name), options.timeoutMs);
    if (silent.length > 0) throw new LabCommandError(`the warm-up block ${forkHash} did not reach ${silent.join(", ")} within ${options.timeoutMs / 1000} s: the lab is not connected`);
    if ((await allOnTip(lab, lab.nodes, forkHash!, options.timeoutMs)) === undefined) throw new LabCommandError(`the lab did not agree on the warm-up block ${forkHash}`);
    const forkPoint = { hash: forkHash!, height: await miner.rest.rpc.call<number>("getblockcount") };

    // The cut.
    const cutStart = performance.now();
    const added = await addedNodes(lab);
    const plan = planCut(addresses, group, Object.fromEntries(Object.entries(added).map(([name, list]) => [name, list.map((e) => e.addednode)])), await peersOf(lab));
    log(`cutting ${groupNames.join(",")} off: ${plan.removeAdded.length} added-node entries, ${plan.bans.length} bans, ${plan.disconnect.length} live connections`);
    await mapLimit(plan.removeAdded, CONCURRENCY, async (entry) => {
      // -24: was not added.
      await callAllowing(lab.node(entry.node).rpc, [-24], "addnode", [entry.target, "remove"]);
      removed.push(entry);
    });
    await mapLimit(plan.bans, CONCURRENCY, async (ban) => {
      // -23: already banned (not ours to lift).
      const answer = await callAllowing<null>(lab.node(ban.node).rpc, [-23], "setban", [ban.ip, "add", options.banSeconds]);
      if (answer !== undefined) bans.push(ban);
    });
    const apart = await until(async () => ((await cutLiveConnections(lab, addresses, group)).length === 0 ? true : undefined), 15_000, 100);
    if (apart === undefined) throw new LabCommandError("connections across the cut kept reappearing for 15 s; giving up");
    const cutMs = performance.now() - cutStart;

    // The watchdog: any connection across the cut that reappears is recorded and cut again.
    const leaks: PartitionResult["cut"]["leaks"] = [];
    let watching = true;
    const watchdog = (async () => {
      while (watching) {
        const found = await cutLiveConnections(lab, addresses, group).catch(() => []);
        for (const c of found) leaks.push({ atMs: Math.round(performance.now() - cutStart), node: c.node, peer: c.peer, addr: c.addr });
        await sleep(250);
      }
    })();

    let sides: Record<Side, SideResult>;
    try {
      for (const side of ["group", "rest"] as const) {
        log(`${side}: mining ${blocks[side]} block${blocks[side] === 1 ? "" : "s"} at ${miner[side].name}`);
        await miner[side].rpc.call("generatetoaddress", [blocks[side], await newAddress(miner[side])], { timeoutMs: 120_000 });
      }
      const sideTips = await Promise.all(
        (["group", "rest"] as const).map(async (side) => {
          const tip = await miner[side].rpc.call<string>("getbestblockhash");
          if ((await allOnTip(lab, members[side], tip, options.timeoutMs)) === undefined) {
            const now = await tips(lab, members[side]);
            throw new LabCommandError(`the ${side}'s nodes did not agree on ${tip} within ${options.timeoutMs / 1000} s: ${Object.entries(now).map(([n, h]) => `${n} ${h.slice(0, 16)}…`).join(", ")}`);
          }
          return [side, { nodes: members[side].map((n) => n.name), miner: miner[side].name, blocksMined: blocks[side], tip, height: await miner[side].rpc.call<number>("getblockcount") }] as const;
        }),
      );
      sides = Object.fromEntries(sideTips) as Record<Side, SideResult>;
      if (options.holdSeconds > 0) {
        log(`holding the partition for ${options.holdSeconds} s`);
        await sleep(options.holdSeconds * 1000);
      }
    } finally {
      watching = false;
      await watchdog;
    }
    if (sides.group.tip === sides.rest.tip) throw new LabCommandError(`both sides are on ${sides.group.tip}: the partition did not hold`);
    const before = Object.fromEntries(
      await Promise.all(lab.nodes.map(async (node) => [node.name, await node.rpc.call<{ bestblockhash: string; blocks: number }>("getblockchaininfo")] as const)),
    );

    // The heal.
    const final = sides[winnerSide];
    log(`healing: restoring ${removed.length} added-node entries, lifting ${bans.length} bans; the ${winnerSide}'s tip ${final.tip.slice(0, 16)}… (height ${final.height}) should win`);
    const healStart = performance.now();
    await heal();
    const commandsMs = performance.now() - healStart;
    const losers = lab.nodes.filter((node) => before[node.name]!.bestblockhash !== final.tip);
    await watcher.waitAll(final.tip, losers.map((n) => n.name), options.timeoutMs);
    const confirmedAt = await allOnTip(lab, lab.nodes, final.tip, options.timeoutMs);
    if (confirmedAt === undefined) {
      const now = await tips(lab);
      throw new LabCommandError(`the lab did not converge on ${final.tip} within ${options.timeoutMs / 1000} s after the heal: ${Object.entries(now).map(([n, h]) => `${n} ${h.slice(0, 16)}…`).join(", ")}`);
    }
    const perNodeMs: Record<string, number> = {};
    const timedBy: Record<string, "already" | "zmq" | "rpc"> = {};
    for (const node of lab.nodes) {
      if (!losers.includes(node)) {
        perNodeMs[node.name] = 0;
        timedBy[node.name] = "already";
        continue;
      }
      const seen = watcher.at(final.tip, node.name);
      perNodeMs[node.name] = Math.max(0, Math.round(((seen ?? confirmedAt) - healStart) * 10) / 10);
      timedBy[node.name] = seen !== undefined ? watcher.method.name : "rpc";
    }

    const reconnectedAt = await until(
      async () => {
        const now = await addedNodes(lab);
        return removed.every((entry) => now[entry.node]?.some((e) => e.addednode === entry.target && e.connected)) ? performance.now() : undefined;
      },
      options.timeoutMs,
      100,
    );
    const nowAdded = await addedNodes(lab);
    const edgesConnected = Object.values(nowAdded).every((list) => list.every((entry) => entry.connected));

    // Who reorganised: walk each node's old tip back to the final chain.
    const reference = miner[winnerSide];
    const finalHashAt = async (height: number) => (height <= final.height ? reference.rpc.call<string>("getblockhash", [height]) : undefined);
    const reorgInput = Object.fromEntries(
      await Promise.all(
        lab.nodes.map(async (node) => {
          const tip = before[node.name]!;
          const fork = await forkHeight(tip.bestblockhash, (hash) => node.rpc.call("getblockheader", [hash]), finalHashAt);
          return [node.name, { side: sideOf(node.name), hash: tip.bestblockhash, height: tip.blocks, forkHeight: fork }] as const;
        }),
      ),
    );
    const result: PartitionResult = {
      format: 1,
      experiment: "partition",
      stack: lab.stack,
      chain: lab.chain,
      startedAt,
      finishedAt: new Date().toISOString(),
      method: watcher.method,
      settings: { group: [...groupNames].sort(byName), blocksEach: options.blocksEach, lead: options.lead, winner: winnerSide, holdSeconds: options.holdSeconds, banSeconds: options.banSeconds, timeoutMs: options.timeoutMs },
      forkPoint,
      sides,
      cut: { removedAddedNodes: [...removed].sort(byEntry), bans: [...bans].sort(byEntry), disconnected: plan.disconnect.length, cutMs: Math.round(cutMs * 10) / 10, leaks },
      heal: {
        commandsMs: Math.round(commandsMs * 10) / 10,
        convergedMs: Math.max(0, ...Object.values(perNodeMs)),
        perNodeMs,
        timedBy,
        edgesReconnectedMs: reconnectedAt === undefined ? null : Math.round((reconnectedAt - healStart) * 10) / 10,
        edgesConnected,
      },
      final: { hash: final.tip, height: final.height },
      reorg: summariseReorg(reorgInput),
    };
    const files = writeResults(options.outDir, "partition", result, renderPartitionHtml(result));
    return { result, files };
  } finally {
    try {
      await heal();
    } finally {
      process.removeListener("SIGINT", interrupted);
      process.removeListener("SIGTERM", interrupted);
      await watcher.close();
    }
  }
}
