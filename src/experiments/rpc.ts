// JSON-RPC to a lab node at its address in the lab network, over kept-alive HTTP connections: a call costs about
// a millisecond, where `docker exec bitcoin-cli` costs ~50 ms. Refuses any address outside 127.0.0.0/8 and the
// lab's own subnet.
import { Agent, request } from "node:http";
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

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

export function rpcClient(endpoint: RpcEndpoint, subnet: string): RpcClient {
  if (!allowedHost(endpoint.host, subnet)) throw new Error(`refusing RPC to ${endpoint.host}: experiments only talk to 127.0.0.0/8 and the lab network ${subnet}`);
  const authorization = `Basic ${Buffer.from(`${endpoint.username}:${endpoint.password}`).toString("base64")}`;
  let id = 0;
  return {
    call<T>(method: string, params: unknown[] = [], options: { wallet?: string; timeoutMs?: number } = {}): Promise<T> {
      const body = JSON.stringify({ jsonrpc: "1.0", id: ++id, method, params });
      const path = options.wallet === undefined ? "/" : `/wallet/${encodeURIComponent(options.wallet)}`;
      const where = `${endpoint.host}:${endpoint.port} ${method}`;
      return new Promise<T>((resolve, reject) => {
        const req = request(
          {
            host: endpoint.host,
            port: endpoint.port,
            path,
            method: "POST",
            agent,
            headers: { authorization, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
            timeout: options.timeoutMs ?? 60_000,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("error", (error) => reject(new RpcError(`${where}: ${error.message}`, undefined)));
            res.on("end", () => {
              const text = Buffer.concat(chunks).toString("utf8");
              let answer: { result?: unknown; error?: { code: number; message: string } | null };
              try {
                answer = JSON.parse(text) as typeof answer;
              } catch {
                reject(new RpcError(`${where}: HTTP ${res.statusCode}${text ? `: ${text.slice(0, 200)}` : ""}`, undefined));
                return;
              }
              if (answer.error) reject(new RpcError(`${where}: ${answer.error.message} (code ${answer.error.code})`, answer.error.code));
              else resolve(answer.result as T);
            });
          },
        );
        req.on("timeout", () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 60_000} ms`)));
        req.on("error", (error) => reject(new RpcError(`${where}: ${error.message}`, undefined)));
        req.end(body);
      });
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
