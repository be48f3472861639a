// What one node's RPC answers become as StatsD gauges, named as statoshi names the same quantities (without
// the per-node prefix, which the sender adds). Pure, so the names and values can be checked on their own.

export interface PeerReading {
  addr: string;
  network?: string;
  pingtime?: number;
  bytessent_per_msg: Record<string, number>;
  bytesrecv_per_msg: Record<string, number>;
}

export interface NodeReadings {
  chain: { blocks: number; headers: number; verificationprogress: number; size_on_disk: number };
  tip: { size: number; weight: number; nTx: number };
  network: { connections: number; connections_in: number; connections_out: number };
  peers: PeerReading[];
  totals: { totalbytesrecv: number; totalbytessent: number };
  mempool: { size: number; bytes: number; usage: number; mempoolminfee: number };
  memory: { locked: { used: number; total: number } };
  tips: { height: number; branchlen: number; status: string }[];
  mining: { difficulty: number; networkhashps: number };
}

export interface SystemReadings {
  cpuPercent: number;
  memoryBytes: number;
  netRxBytes: number;
  netTxBytes: number;
}

export type Gauges = Record<string, number>;

/** Graphite path segment: letters, digits, "-" and "_" only. */
export function segment(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, "_");
}

/** The host part of a peer address, as a Graphite segment; a lab node's name where the address is one. */
export function peerLabel(addr: string, labNodes: Map<string, string>): string {
  const host = addr.replace(/^\[([^\]]+)\](:\d+)?$/, "$1").replace(/^([^:]+):\d+$/, "$1");
  return labNodes.get(addr) ?? labNodes.get(host) ?? segment(host);
}

export function nodeGauges(r: NodeReadings, labNodes: Map<string, string>): Gauges {
  const g: Gauges = {
    "up": 1,
    "blocks.currentHeight": r.chain.blocks,
    "blocks.headerHeight": r.chain.headers,
    "blocks.verificationProgress": r.chain.verificationprogress,
    "blocks.sizeOnDiskBytes": r.chain.size_on_disk,
    "blocks.tip.sizeBytes": r.tip.size,
    "blocks.tip.weight": r.tip.weight,
    "blocks.tip.transactions": r.tip.nTx,
    "peers.totalConnections": r.network.connections,
    "peers.inbound": r.network.connections_in,
    "peers.outbound": r.network.connections_out,
    "bandwidth.totalBytesSent": r.totals.totalbytessent,
    "bandwidth.totalBytesRecv": r.totals.totalbytesrecv,
    "transactions.mempool.totalTransactions": r.mempool.size,
    "transactions.mempool.bytes": r.mempool.bytes,
    "transactions.mempool.usageBytes": r.mempool.usage,
    "transactions.mempool.minFeeSatPerKvB": Math.round(r.mempool.mempoolminfee * 1e8),
    "memory.locked.usedBytes": r.memory.locked.used,
    "memory.locked.totalBytes": r.memory.locked.total,
    "chaintips.total": r.tips.length,
    "chaintips.forks": r.tips.filter((t) => t.status !== "active" && t.branchlen > 0).length,
    "chaintips.longestForkLength": Math.max(0, ...r.tips.filter((t) => t.status !== "active").map((t) => t.branchlen)),
    "mining.difficulty": r.mining.difficulty,
    "mining.networkHashPerSecond": r.mining.networkhashps,
  };
  const networks = new Map<string, number>();
  const sent = new Map<string, number>();
  const received = new Map<string, number>();
  for (const peer of r.peers) {
    const network = segment(peer.network ?? "unknown");
    networks.set(network, (networks.get(network) ?? 0) + 1);
    if (peer.pingtime !== undefined) g[`peers.pingMs.${peerLabel(peer.addr, labNodes)}`] = Math.round(peer.pingtime * 1000 * 100) / 100;
    for (const [type, bytes] of Object.entries(peer.bytessent_per_msg)) sent.set(type, (sent.get(type) ?? 0) + bytes);
    for (const [type, bytes] of Object.entries(peer.bytesrecv_per_msg)) received.set(type, (received.get(type) ?? 0) + bytes);
  }
  for (const [network, count] of networks) g[`peers.network.${network}`] = count;
  for (const [type, bytes] of sent) g[`bandwidth.message.${segment(type)}.bytesSent`] = bytes;
  for (const [type, bytes] of received) g[`bandwidth.message.${segment(type)}.bytesReceived`] = bytes;
  return g;
}

export function systemGauges(s: SystemReadings): Gauges {
  return {
    "system.cpuPercent": Math.round(s.cpuPercent * 100) / 100,
    "system.memoryBytes": s.memoryBytes,
    "system.netRxBytes": s.netRxBytes,
    "system.netTxBytes": s.netTxBytes,
  };
}

/** Docker's one-shot stats → CPU percent of one core, memory without page cache, network totals. */
export function systemFromDockerStats(stats: {
  cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number };
  memory_stats: { usage?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}): SystemReadings {
  const cpuDelta = stats.cpu_stats.cpu_usage.total_usage - stats.precpu_stats.cpu_usage.total_usage;
  const systemDelta = (stats.cpu_stats.system_cpu_usage ?? 0) - (stats.precpu_stats.system_cpu_usage ?? 0);
  const cpus = stats.cpu_stats.online_cpus ?? 1;
  const cache = stats.memory_stats.stats?.inactive_file ?? stats.memory_stats.stats?.total_inactive_file ?? stats.memory_stats.stats?.cache ?? 0;
  const networks = Object.values(stats.networks ?? {});
  return {
    cpuPercent: systemDelta > 0 && cpuDelta >= 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0,
    memoryBytes: Math.max(0, (stats.memory_stats.usage ?? 0) - cache),
    netRxBytes: networks.reduce((sum, n) => sum + n.rx_bytes, 0),
    netTxBytes: networks.reduce((sum, n) => sum + n.tx_bytes, 0),
  };
}
