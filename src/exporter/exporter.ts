// The lab's metrics exporter: one process per lab polls every node's RPC (and, with the Docker socket, each
// container's stats) concurrently every interval and sends StatsD gauges prefixed with the node's name.
// One per lab rather than one per node: one small process instead of N, and one place that sees every
// node, which attributing each block to the lab miner that mined it needs.
import Client from "bitcoin-core";
import Docker from "dockerode";
import { StatsD } from "hot-shots";
import { nodeGauges, systemFromDockerStats, systemGauges, type Gauges, type NodeReadings } from "./metrics.js";

export interface ExporterNode {
  name: string;
  container: string;
  ip: string;
  role: string;
  /** RPC as the exporter reaches it, e.g. http://10.77.1.10:18443 inside the lab network. */
  rpcUrl: string;
  /** Relays the node dials through (127.0.0.1:<port> → peer node), from its netlab.relays label. */
  relays?: Record<string, string>;
}

export interface ExporterConfig {
  stack: string;
  intervalSeconds: number;
  statsd: { host: string; port: number };
  rpc: { user: string; password: string };
  /** The lab's nodes, asked again every round so that added or removed nodes are followed. */
  nodes: () => Promise<ExporterNode[]>;
  /** Read container CPU, memory and network from the Docker engine (needs its socket). */
  dockerStats: boolean;
}

export interface PollResult {
  node: string;
  up: boolean;
  gauges: Gauges;
  error?: string;
}

const BLOCKS_WALKED_PER_POLL = 50;

export class Exporter {
  private readonly clients = new Map<string, Client>();
  private readonly walletClients = new Map<string, Client>();
  private readonly addressOwner = new Map<string, string>();
  private lastTip: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly statsd: StatsD;
  private readonly docker: Docker | undefined;

  constructor(private readonly config: ExporterConfig, statsd?: StatsD) {
    this.statsd = statsd ?? new StatsD({ host: config.statsd.host, port: config.statsd.port, protocol: "udp", errorHandler: () => {} });
    this.docker = config.dockerStats ? new Docker() : undefined;
  }

  private client(node: ExporterNode, wallet?: string): Client {
    const cache = wallet ? this.walletClients : this.clients;
    const key = `${node.name}|${node.rpcUrl}`;
    let client = cache.get(key);
    if (!client) {
      client = new Client({ host: node.rpcUrl, username: this.config.rpc.user, password: this.config.rpc.password, timeout: 5000, ...(wallet ? { wallet } : {}) });
      cache.set(key, client);
    }
    return client;
  }

  private async readNode(node: ExporterNode): Promise<NodeReadings> {
    const results = (await this.client(node).command(
      ["getblockchaininfo", "getnetworkinfo", "getpeerinfo", "getnettotals", "getmempoolinfo", "getmemoryinfo", "getchaintips", "getmininginfo"].map((method) => ({ method, parameters: [] })),
    )) as unknown[];
    const failed = results.find((r) => r instanceof Error);
    if (failed) throw failed;
    const [chain, network, peers, totals, mempool, memory, tips, mining] = results as [
      NodeReadings["chain"] & { bestblockhash: string },
      NodeReadings["network"],
      NodeReadings["peers"],
      NodeReadings["totals"],
      NodeReadings["mempool"],
      NodeReadings["memory"],
      NodeReadings["tips"],
      NodeReadings["mining"],
    ];
    const tip = (await this.client(node).command("getblock", chain.bestblockhash, 1)) as NodeReadings["tip"];
    return { chain, tip, network, peers, totals, mempool, memory, tips, mining };
  }

  private async systemOf(node: ExporterNode): Promise<Gauges> {
    if (!this.docker) return {};
    try {
      const stats = await this.docker.getContainer(node.container).stats({ stream: false });
      return systemGauges(systemFromDockerStats(stats as unknown as Parameters<typeof systemFromDockerStats>[0]));
    } catch {
      return {};
    }
  }

  async pollNode(node: ExporterNode, labNodes: Map<string, string>): Promise<PollResult> {
    const system = this.systemOf(node);
    try {
      const gauges = { ...nodeGauges(await this.readNode(node), labNodes), ...(await system) };
      return { node: node.name, up: true, gauges };
    } catch (error) {
      return { node: node.name, up: false, gauges: { up: 0, ...(await system) }, error: (error as Error).message };
    }
  }

  /** Who mined the blocks since the last poll, as seen by the first node that answers. */
  private async attributeBlocks(reference: ExporterNode, nodes: ExporterNode[]): Promise<Record<string, number>> {
    const rpc = this.client(reference);
    const tip = (await rpc.command("getbestblockhash")) as string;
    const counts: Record<string, number> = {};
    if (this.lastTip === undefined || tip === this.lastTip) {
      this.lastTip = tip;
      return counts;
    }
    let hash: string | undefined = tip;
    for (let walked = 0; hash && hash !== this.lastTip && walked < BLOCKS_WALKED_PER_POLL; walked++) {
      const block = (await rpc.command("getblock", hash, 2)) as { previousblockhash?: string; tx: { vout: { scriptPubKey: { address?: string } }[] }[] };
      const address = block.tx[0]?.vout.find((out) => out.scriptPubKey.address)?.scriptPubKey.address;
      const miner = address ? await this.ownerOf(address, nodes) : "unknown";
      counts[miner] = (counts[miner] ?? 0) + 1;
      hash = block.previousblockhash;
    }
    this.lastTip = tip;
    return counts;
  }

  private async ownerOf(address: string, nodes: ExporterNode[]): Promise<string> {
    const known = this.addressOwner.get(address);
    if (known) return known;
    for (const miner of nodes.filter((n) => n.role === "miner")) {
      try {
        const info = (await this.client(miner, "miner").command("getaddressinfo", address)) as { ismine: boolean };
        if (info.ismine) {
          this.addressOwner.set(address, miner.name);
          return miner.name;
        }
      } catch {
        // a miner that is down cannot claim the block now; it stays unattributed
      }
    }
    return "unknown";
  }

  /** One round: poll every node, send the gauges and the blocks mined since the last round. */
  async collect(): Promise<PollResult[]> {
    const nodes = await this.config.nodes();
    // Relay ports are 40000 + the target's index across the stack, so one map serves every node.
    const labNodes = new Map([...nodes.map((n) => [n.ip, n.name] as const), ...nodes.flatMap((n) => Object.entries(n.relays ?? {}))]);
    const results = await Promise.all(nodes.map((node) => this.pollNode(node, labNodes)));
    for (const result of results) for (const [name, value] of Object.entries(result.gauges)) this.statsd.gauge(`${result.node}.${name}`, value);
    const reference = nodes.find((node) => results.find((r) => r.node === node.name)?.up);
    if (reference) {
      const mined = await this.attributeBlocks(reference, nodes).catch(() => ({}));
      for (const [miner, blocks] of Object.entries(mined)) this.statsd.increment(`${miner}.mining.blocksMined`, blocks);
    }
    return results;
  }

  start(onRound?: (results: PollResult[]) => void, onError?: (error: Error) => void): void {
    const round = () => {
      this.collect()
        .then((results) => onRound?.(results))
        .catch((error: Error) => onError?.(error))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(round, this.config.intervalSeconds * 1000);
        });
    };
    this.timer = setTimeout(round, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await new Promise<void>((resolve) => this.statsd.close(() => resolve()));
  }
}
