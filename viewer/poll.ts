// Asks every node, concurrently, the read-only RPCs the graph needs. A node that does not answer is down.
import Client from "bitcoin-core";
import type { ManagedNode, NodeSnapshot, PeerInfo, RpcCredentials } from "./types.js";

/** The only RPCs the viewer ever sends. */
export const READ_METHODS = ["getblockchaininfo", "getnetworkinfo", "getmempoolinfo", "getpeerinfo", "getaddednodeinfo"] as const;

interface ChainInfo { blocks: number; headers: number; bestblockhash: string }
interface NetworkInfo { subversion: string; protocolversion: number; connections_in: number; connections_out: number }
interface MempoolInfo { size: number; bytes: number }
interface AddedNode { addednode: string }

export class NodePoller {
  private readonly clients = new Map<string, Client>();

  constructor(private readonly credentialsFor: (node: ManagedNode) => Promise<RpcCredentials>, private readonly timeoutMs = 4000) {}

  private async client(node: ManagedNode): Promise<Client> {
    const key = `${node.name}|${node.rpcUrl}`;
    let client = this.clients.get(key);
    if (client === undefined) {
      const { username, password } = await this.credentialsFor(node);
      client = new Client({ host: node.rpcUrl, username, password, timeout: this.timeoutMs });
      this.clients.set(key, client);
    }
    return client;
  }

  async poll(node: ManagedNode): Promise<NodeSnapshot> {
    try {
      const client = await this.client(node);
      const results = (await client.command(READ_METHODS.map((method) => ({ method, parameters: [] })))) as unknown[];
      const failed = results.find((r) => r instanceof Error) as Error | undefined;
      if (failed) throw failed;
      const [chain, network, mempool, peers, added] = results as [ChainInfo, NetworkInfo, MempoolInfo, PeerInfo[], AddedNode[]];
      return {
        name: node.name,
        up: true,
        blocks: chain.blocks,
        headers: chain.headers,
        bestBlockHash: chain.bestblockhash,
        subversion: network.subversion,
        protocolVersion: network.protocolversion,
        connectionsIn: network.connections_in,
        connectionsOut: network.connections_out,
        mempoolSize: mempool.size,
        mempoolBytes: mempool.bytes,
        peers: peers.map((p) => ({
          id: p.id,
          addr: p.addr,
          inbound: p.inbound,
          connection_type: p.connection_type,
          transport_protocol_type: p.transport_protocol_type,
          bytessent: Number(p.bytessent),
          bytesrecv: Number(p.bytesrecv),
          subver: p.subver,
          synced_blocks: p.synced_blocks,
        })),
        addedNodes: added.map((a) => a.addednode),
      };
    } catch (error) {
      // Forget the client: a re-created container may have new credentials (cookie) or a new port.
      this.clients.delete(`${node.name}|${node.rpcUrl}`);
      return { name: node.name, up: false, error: (error as Error).message || String(error) };
    }
  }

  pollAll(nodes: ManagedNode[]): Promise<NodeSnapshot[]> {
    return Promise.all(nodes.map((node) => this.poll(node)));
  }
}
