// JSON-RPC (the bitcoin-core client) to a node through its published port on 127.0.0.1, with the stack's
// credentials. For timing work, where `docker exec bitcoin-cli` (~50 ms per call) would be too coarse.
import Client from "bitcoin-core";
import ipaddr from "ipaddr.js";
import type { RpcCredentials } from "../../src/plan/rpcauth.js";

export class RpcError extends Error {
  override name = "RpcError";
  constructor(message: string, readonly code: number | undefined) {
    super(message);
  }
}

export interface RpcClient {
  call<T = unknown>(method: string, params?: unknown[]): Promise<T>;
}

/**
 * `hostAddress` is a node's rpcHostAddress (127.0.0.1:<port>), or <container ip>:<rpc port> when `labSubnet`
 * (the lab's own network) is given: direct, without the published port's proxy. `wallet` selects /wallet/<name>.
 */
export function rpcClient(
  hostAddress: string,
  credentials: Pick<RpcCredentials, "user" | "password">,
  wallet?: string,
  labSubnet?: string,
): RpcClient {
  const host = hostAddress.slice(0, hostAddress.lastIndexOf(":"));
  const inLab = labSubnet !== undefined && ipaddr.IPv4.isValid(host) && ipaddr.IPv4.parse(host).match(ipaddr.IPv4.parseCIDR(labSubnet));
  if (!host.startsWith("127.") && !inLab) throw new Error(`refusing RPC to ${hostAddress}: the rig only talks to 127.0.0.0/8 and its own lab network`);
  const client = new Client({
    host: `http://${hostAddress}`,
    username: credentials.user,
    password: credentials.password,
    ...(wallet === undefined ? {} : { wallet }),
    timeout: 60_000, // above the longest wait the benchmark asks for (waitfornewblock 30 s)
  });
  return {
    async call<T>(method: string, params: unknown[] = []): Promise<T> {
      try {
        return (await client.command(method, ...params)) as T;
      } catch (error) {
        const failure = error as Error & { code?: number };
        throw new RpcError(`${hostAddress} ${method}: ${failure.message}${failure.code === undefined ? "" : ` (code ${failure.code})`}`, failure.code);
      }
    },
  };
}
