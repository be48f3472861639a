// bitcoind's rpcauth: "<user>:<salt>$<HMAC-SHA256(key=salt, message=password)>", as share/rpcauth/rpcauth.py
// makes it. Nodes get this line; the password itself never enters a container.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

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

/** True when `auth` is the rpcauth line of this user and password. */
export function rpcAuthMatches(auth: string, user: string, password: string): boolean {
  const match = /^([^:]+):([0-9a-f]+)\$([0-9a-f]{64})$/.exec(auth);
  if (!match || match[1] !== user) return false;
  const expected = Buffer.from(rpcAuthLine(user, password, match[2]!));
  const actual = Buffer.from(auth);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
