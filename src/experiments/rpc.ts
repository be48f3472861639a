// JSON-RPC (the bitcoin-core client) to a lab node at its address in the lab network: a call costs a few
// milliseconds, where `docker exec bitcoin-cli` costs ~50 ms. Refuses any address outside 127.0.0.0/8 and the
// lab's own subnet.
import Client from "bitcoin-core";
import ipaddr from "ipaddr.js";

export class RpcError extends Error {
  override name = "RpcError";
  constructor(
    message: string,
    /** bitcoind's error code (e.g. -24 "node has not been added"), undefined for transport errors. */
    readonly code: number | undefined,
  ) {
    super(message);
  }
}

export interface RpcClient {
  /** Calls `method`; `wallet` selects /wallet/<name>. */
  call<T = unknown>(method: string, params?: unknown[], options?: { wallet?: string; timeoutMs?: number }): Promise<T>;
}

export interface RpcEndpoint {
  host: string;
  port: number;
  username: string;
  password: string;
}

/** Whether `host` is loopback or inside `subnet` (a CIDR), the only places experiments talk to. */
export function allowedHost(host: string, subnet: string): boolean {
  if (!ipaddr.IPv4.isValid(host)) return false;
  const address = ipaddr.IPv4.parse(host);
  return address.range() === "loopback" || address.match(ipaddr.IPv4.parseCIDR(subnet));
}

export function rpcClient(endpoint: RpcEndpoint, subnet: string): RpcClient {
  if (!allowedHost(endpoint.host, subnet)) throw new Error(`refusing RPC to ${endpoint.host}: experiments only talk to 127.0.0.0/8 and the lab network ${subnet}`);
  // The bitcoin-core client takes the wallet and the timeout when it is made: one client per pair.
  const clients = new Map<string, Client>();
  const clientFor = (wallet: string | undefined, timeoutMs: number): Client => {
    const key = `${wallet ?? ""}|${timeoutMs}`;
    let client = clients.get(key);
    if (client === undefined) {
      client = new Client({ host: `http://${endpoint.host}:${endpoint.port}`, username: endpoint.username, password: endpoint.password, timeout: timeoutMs, ...(wallet === undefined ? {} : { wallet }) });
      clients.set(key, client);
    }
    return client;
  };
  return {
    async call<T>(method: string, params: unknown[] = [], options: { wallet?: string; timeoutMs?: number } = {}): Promise<T> {
      try {
        return (await clientFor(options.wallet, options.timeoutMs ?? 60_000).command(method, ...params)) as T;
      } catch (error) {
        const failure = error as Error & { code?: number | string };
        const code = typeof failure.code === "number" ? failure.code : undefined;
        throw new RpcError(`${endpoint.host}:${endpoint.port} ${method}: ${failure.message}${code === undefined ? "" : ` (code ${code})`}`, code);
      }
    },
  };
}

/** Runs an RPC, treating the listed bitcoind error codes as "already so" (e.g. -24: was not added). */
export async function callAllowing<T>(client: RpcClient, allowed: number[], method: string, params: unknown[]): Promise<T | undefined> {
  try {
    return await client.call<T>(method, params);
  } catch (error) {
    if (error instanceof RpcError && error.code !== undefined && allowed.includes(error.code)) return undefined;
    throw error;
  }
}
