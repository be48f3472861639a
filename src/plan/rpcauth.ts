// bitcoind's rpcauth: "<user>:<salt>$<HMAC-SHA256(key=salt, message=password)>", as share/rpcauth/rpcauth.py
// makes it. Nodes get this line; the password itself never enters a container.
import { createHmac, randomBytes } from "node:crypto";

export interface RpcCredentials {
  user: string;
  password: string;
  /** The rpcauth line for bitcoind. */
  auth: string;
}

export function rpcAuthLine(user: string, password: string, salt: string): string {
  const hash = createHmac("sha256", salt).update(password).digest("hex");
  return `${user}:${salt}$${hash}`;
}

export function generateRpcCredentials(user = "netlab"): RpcCredentials {
  const password = randomBytes(24).toString("base64url");
  return { user, password, auth: rpcAuthLine(user, password, randomBytes(16).toString("hex")) };
}
