// JSON-RPC to a node through its published port on 127.0.0.1, with the stack's credentials. For timing work,
// where `docker exec bitcoin-cli` (~50 ms per call) would be too coarse.
import ipaddr from "ipaddr.js";
import type { RpcCredentials } from "../../src/plan/rpcauth.js";

export class RpcError extends Error {
  override name = "RpcError";
  constructor(message: string, readonly code: number | undefined) {
    super(message);
  }
}

export interface RpcClient {
  call<T = unknown>(method: string, params?: unknown[], timeoutMs?: number): Promise<T>;
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
  const url = `http://${hostAddress}/${wallet === undefined ? "" : `wallet/${encodeURIComponent(wallet)}`}`;
  const authorization = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString("base64")}`;
  let id = 0;
  return {
    async call<T>(method: string, params: unknown[] = [], timeoutMs = 30_000): Promise<T> {
      const response = await fetch(url, {
        method: "POST",
        headers: { authorization, "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "1.0", id: ++id, method, params }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      let body: { result?: T; error?: { code: number; message: string } | null };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new RpcError(`${hostAddress} ${method}: HTTP ${response.status} ${text.slice(0, 200)}`, undefined);
      }
      if (body.error) throw new RpcError(`${hostAddress} ${method}: ${body.error.message} (code ${body.error.code})`, body.error.code);
      return body.result as T;
    },
  };
}
