// netlab-link, run by a node container's entrypoint when the plan gave it link conditions (env NETLAB_LINK):
//   setup   detect netem, apply the matching commands of the plan, print the mode ("netem" or "fallback")
//   relay <mode>  run the node's relays (with netem, they forward without delay: netem delays)
import { execFileSync } from "node:child_process";
import { LINK_DEVICE } from "../plan/link.js";
import type { NodeLinkPlan } from "../plan/types.js";
import { startRelay } from "./relay.js";

const log = (message: string) => process.stderr.write(`netlab-link: ${message}\n`);

function readPlan(): NodeLinkPlan {
  const text = process.env.NETLAB_LINK;
  if (!text) throw new Error("NETLAB_LINK is not set");
  return JSON.parse(text) as NodeLinkPlan;
}

function run(argv: string[], quiet = false): boolean {
  try {
    execFileSync(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", quiet ? "ignore" : "inherit"] });
    return true;
  } catch {
    return false;
  }
}

/** netem works if a netem qdisc can be put on the loopback device (and is taken off again). */
function hasNetem(): boolean {
  if (!run(["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "0ms"], true)) return false;
  run(["tc", "qdisc", "del", "dev", "lo", "root"], true);
  return true;
}

function setup(plan: NodeLinkPlan): void {
  const mode = hasNetem() ? "netem" : "fallback";
  // A restarted container gets a fresh namespace; this only matters if setup runs twice in one.
  run(["tc", "qdisc", "del", "dev", LINK_DEVICE, "root"], true);
  for (const argv of plan[mode]) {
    if (!run(argv)) throw new Error(`failed: ${argv.join(" ")} (does the container have NET_ADMIN?)`);
  }
  log(`${mode}: ${plan[mode].length} command(s) applied, ${plan.relays.length} relay(s) to start`);
  process.stdout.write(`${mode}\n`);
}

async function relays(plan: NodeLinkPlan, mode: string): Promise<void> {
  for (const relay of plan.relays) {
    const at = relay.target.lastIndexOf(":");
    const delayed = mode !== "netem";
    await startRelay({
      listenHost: "127.0.0.1",
      listenPort: relay.port,
      targetHost: relay.target.slice(0, at),
      targetPort: Number(relay.target.slice(at + 1)),
      latencyMs: delayed ? relay.latencyMs : 0,
      jitterMs: delayed ? relay.jitterMs : 0,
      log,
    });
    log(`relay 127.0.0.1:${relay.port} → ${relay.target} (${relay.peer}), ${delayed ? `${relay.latencyMs}ms ±${relay.jitterMs}ms each way` : "no delay (netem delays)"}`);
  }
}

const [command, mode] = process.argv.slice(2);
try {
  if (command === "setup") setup(readPlan());
  else if (command === "relay" && mode !== undefined) await relays(readPlan(), mode);
  else throw new Error("usage: netlab-link setup | relay <netem|fallback>");
} catch (error) {
  log((error as Error).message);
  process.exit(1);
}
