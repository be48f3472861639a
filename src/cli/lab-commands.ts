// netlab status | rpc | mine | send | logs | swarm | viewer: commands for a running lab, found by its Docker labels.
import { spawn } from "node:child_process";
import { InvalidArgumentError, Option, type Command } from "commander";
import { readFileSync } from "node:fs";
import { dockerSource, planSource, pulumiSource, type LabSource } from "../../viewer/discover.js";
import { startViewer } from "../../viewer/server.js";
import { bitcoinCli, findNode, listNodes, LabCommandError, type LabContainer } from "../lab/docker.js";
import { hasPulumi } from "../lab/pulumi.js";
import { failback, failover, watchFailover } from "../lab/swarm.js";
import { formatTable } from "./table.js";

interface NodeStatus {
  node: LabContainer;
  height: string;
  peersIn: string;
  peersOut: string;
  mempool: string;
}

async function nodeStatus(node: LabContainer): Promise<NodeStatus> {
  const down = { node, height: "-", peersIn: "-", peersOut: "-", mempool: "-" };
  if (node.state !== "running") return down;
  try {
    const [chain, network, mempool] = (await Promise.all(
      ["getblockchaininfo", "getnetworkinfo", "getmempoolinfo"].map((method) => bitcoinCli(node.container, [method], 15_000)),
    )) as [{ blocks: number }, { connections_in: number; connections_out: number }, { size: number }];
    return { node, height: String(chain.blocks), peersIn: String(network.connections_in), peersOut: String(network.connections_out), mempool: String(mempool.size) };
  } catch {
    return { ...down, height: "no rpc" };
  }
}

/** Mining and receiving need the node's wallet (made at bootstrap for miners and wallets). */
async function walletOf(node: LabContainer): Promise<string> {
  const wallets = (await bitcoinCli(node.container, ["listwallets"])) as string[];
  if (wallets.length === 0) throw new LabCommandError(`node "${node.node}" has no wallet loaded (miners and wallet nodes get one at bootstrap)`);
  return wallets[0]!;
}

async function newAddress(node: LabContainer): Promise<string> {
  return String(await bitcoinCli(node.container, [`-rpcwallet=${await walletOf(node)}`, "getnewaddress"]));
}

const print = (value: unknown) => process.stdout.write(`${typeof value === "string" ? value : JSON.stringify(value, null, 2)}\n`);

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`"${text}" is not a whole number of at least 1.`);
  return value;
}

function btcAmount(text: string): string {
  if (!/^[0-9]+(\.[0-9]{1,8})?$/.test(text) || Number(text) <= 0) throw new InvalidArgumentError(`"${text}" is not an amount in BTC such as 0.5 (at most 8 decimals).`);
  return text;
}

export function addLabCommands(program: Command): void {
  const stackOption = ["--stack <name>", "the lab's stack (default: every running lab, or the one that has the node)"] as const;

  program
    .command("status")
    .description("table of a running lab's nodes: implementation, height, peers in/out, mempool")
    .option(...stackOption)
    .action(async (options: { stack?: string }) => {
      const nodes = await listNodes(options.stack);
      if (nodes.length === 0) throw new LabCommandError(options.stack ? `no lab running for stack "${options.stack}"` : "no lab is running (no containers labelled netlab.stack)");
      const rows = await Promise.all(nodes.map(nodeStatus));
      print(
        formatTable(
          ["stack", "node", "role", "implementation", "state", "height", "in", "out", "mempool"],
          rows.map((r) => [r.node.stack, r.node.node, r.node.role, `${r.node.implementation} ${r.node.version}`, r.node.state, r.height, r.peersIn, r.peersOut, r.mempool]),
        ),
      );
    });

  program
    .command("rpc")
    .description("run an RPC on a node with bitcoin-cli inside its container, e.g. netlab rpc n1 getpeerinfo")
    .argument("<node>", "node name (or container name)")
    .argument("<method>", "RPC method")
    .argument("[params...]", "parameters, as bitcoin-cli takes them")
    .option("--wallet <name>", "the node's wallet to call the method on")
    .option(...stackOption)
    .action(async (name: string, method: string, params: string[], options: { stack?: string; wallet?: string }) => {
      const node = await findNode(name, options.stack);
      print(await bitcoinCli(node.container, [...(options.wallet ? [`-rpcwallet=${options.wallet}`] : []), method, ...params]));
    });

  program
    .command("mine")
    .description("mine blocks at a node, to its own wallet (regtest)")
    .argument("<node>", "node name")
    .argument("[blocks]", "how many blocks", positiveInteger, 1)
    .option(...stackOption)
    .action(async (name: string, blocks: number, options: { stack?: string }) => {
      const node = await findNode(name, options.stack);
      const hashes = (await bitcoinCli(node.container, ["generatetoaddress", String(blocks), await newAddress(node)])) as string[];
      const height = await bitcoinCli(node.container, ["getblockcount"]);
      print(`${node.node}: mined ${hashes.length} block${hashes.length === 1 ? "" : "s"}, height ${String(height)}, tip ${hashes.at(-1)}`);
    });

  program
    .command("send")
    .description("send bitcoin from one node's wallet to a new address of another node's wallet")
    .argument("<from>", "sending node")
    .argument("<to>", "receiving node")
    .argument("<btc>", "amount in BTC", btcAmount)
    .option(...stackOption)
    .action(async (fromName: string, toName: string, amount: string, options: { stack?: string }) => {
      const from = await findNode(fromName, options.stack);
      const to = await findNode(toName, options.stack ?? from.stack);
      const address = await newAddress(to);
      const txid = await bitcoinCli(from.container, [`-rpcwallet=${await walletOf(from)}`, "sendtoaddress", address, amount]);
      print(`${from.node} -> ${to.node}: ${amount} BTC to ${address}, txid ${String(txid)}`);
    });

  program
    .command("logs")
    .description("a node's bitcoind log (docker logs)")
    .argument("<node>", "node name")
    .option("-f, --follow", "keep printing new lines")
    .option("--tail <lines>", "lines from the end", positiveInteger, 100)
    .option(...stackOption)
    .action(async (name: string, options: { stack?: string; follow?: boolean; tail: number }) => {
      const node = await findNode(name, options.stack);
      const args = ["logs", "--tail", String(options.tail), ...(options.follow ? ["--follow"] : []), node.container];
      await new Promise<void>((resolve, reject) => {
        spawn("docker", args, { stdio: "inherit" }).on("exit", (code) => (code === 0 || code === null ? resolve() : reject(new LabCommandError(`docker logs exited with ${code}`))));
      });
    });

  const swarm = program.command("swarm").description("a Swarm lab's hosts (run against the Swarm manager: DOCKER_HOST)");
  swarm
    .command("failover")
    .description("let the other ready Swarm nodes run the lab nodes planned on <host> (its label netlab.takes.<host> goes to them)")
    .argument("<host>", "the stack host that is down, by its name in netlab:hosts")
    .action(async (host: string) => {
      const takers = await failover(host);
      process.stderr.write(`netlab swarm: ${takers.join(", ")} may now run the nodes of ${host}; the Swarm starts them there\n`);
    });
  swarm
    .command("failback")
    .description("take <host>'s label back from the nodes that adopted it; the Swarm moves its lab nodes home")
    .argument("<host>", "the stack host that is back")
    .action(async (host: string) => {
      const adopters = await failback(host);
      process.stderr.write(adopters.length === 0 ? `netlab swarm: no Swarm node had adopted ${host}\n` : `netlab swarm: ${adopters.join(", ")} gave back the nodes of ${host}\n`);
    });

  swarm
    .command("watch")
    .description("fail hosts over by themselves: when the manager marks a host's Swarm node down, failover; when it is back, failback")
    .option("--interval <seconds>", "seconds between looks at the Swarm", positiveInteger, 2)
    .action(async (options: { interval: number }) => {
      const stop = new AbortController();
      for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop.abort());
      process.stderr.write(`netlab swarm: watching the Swarm every ${options.interval} s (Ctrl-C stops)\n`);
      await watchFailover({ intervalMs: options.interval * 1000, log: (message) => process.stderr.write(`netlab swarm: ${message}\n`), signal: stop.signal });
    });

  program
    .command("viewer")
    .description("serve the live peer graph of a running lab (read-only) on 127.0.0.1")
    .option("--stack <name>", "the lab's stack", "dev")
    .option("--port <port>", "port to listen on", positiveInteger, 8088)
    .option("--host <address>", "address to listen on (keep 127.0.0.1 unless you know why not)", "127.0.0.1")
    .option("--interval <seconds>", "seconds between polls", positiveInteger, 5)
    .addOption(new Option("--source <source>", "where the lab is found: Pulumi stack outputs or container labels (default: pulumi when the CLI is installed)").choices(["pulumi", "docker"]))
    .option("--plan <file>", "describe the lab by a plan (netlab plan --json), RPC password in NETLAB_RPC_PASSWORD")
    .addOption(new Option("--rpc-via <route>", "with --source docker: reach RPC through the ports on 127.0.0.1, or at the nodes' lab addresses (inside the lab network)").choices(["host", "lab-network"]).default("host"))
    .option("--grafana <url>", "Grafana base URL the page links each node's dashboard to")
    .option("--rpc-user <name>", "with --source docker: RPC user (with --password-file) instead of each node's cookie")
    .option("--password-file <file>", "file holding the RPC password of --rpc-user")
    .action(async (options: { stack: string; port: number; host: string; interval: number; source?: "pulumi" | "docker"; plan?: string; rpcVia: "host" | "lab-network"; grafana?: string; rpcUser?: string; passwordFile?: string }) => {
      let source: LabSource;
      if (options.plan !== undefined) {
        const password = process.env.NETLAB_RPC_PASSWORD;
        if (!password) throw new LabCommandError("--plan needs the stack's RPC password in the environment variable NETLAB_RPC_PASSWORD");
        source = planSource(JSON.parse(readFileSync(options.plan, "utf8")), password);
      } else if ((options.source ?? (hasPulumi() ? "pulumi" : "docker")) === "pulumi") source = pulumiSource(options.stack);
      else {
        if ((options.rpcUser === undefined) !== (options.passwordFile === undefined)) throw new LabCommandError("--rpc-user and --password-file go together");
        const credentials = options.rpcUser && options.passwordFile ? { username: options.rpcUser, password: readFileSync(options.passwordFile, "utf8").trim() } : undefined;
        source = dockerSource(options.stack, { rpcVia: options.rpcVia, ...(options.grafana ? { grafanaUrl: options.grafana } : {}), ...(credentials ? { credentials } : {}) });
      }
      const viewer = await startViewer({ source, host: options.host, port: options.port, pollIntervalMs: options.interval * 1000 });
      process.stderr.write(`netlab viewer: stack ${options.stack} at ${viewer.url} (Ctrl-C stops it)\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await viewer.close();
    });
}
