import type { Chain } from "../topology/schema.js";

export interface ChainParams {
  /** bitcoind's name for the chain, as in -chain=<arg>. */
  arg: string;
  /** The chain's directory inside the data directory (where .cookie lives). */
  dataSubdir: string;
  p2pPort: number;
  rpcPort: number;
  /** True for chains that reach the public Bitcoin network. */
  public: boolean;
}

// bitcoind's defaults per chain.
export const CHAIN_PARAMS: Record<Chain, ChainParams> = {
  main: { arg: "main", dataSubdir: "", p2pPort: 8333, rpcPort: 8332, public: true },
  testnet: { arg: "test", dataSubdir: "testnet3", p2pPort: 18333, rpcPort: 18332, public: true },
  testnet4: { arg: "testnet4", dataSubdir: "testnet4", p2pPort: 48333, rpcPort: 48332, public: true },
  signet: { arg: "signet", dataSubdir: "signet", p2pPort: 38333, rpcPort: 38332, public: true },
  regtest: { arg: "regtest", dataSubdir: "regtest", p2pPort: 18444, rpcPort: 18443, public: false },
};

/** ZMQ publishers inside every node container, for timing work (first-seen blocks and transactions). */
export const ZMQ_PORTS = { hashblock: 28332, hashtx: 28333 } as const;

/** The topology chain whose -chain= argument is `arg`. */
export function chainFromArg(arg: string): Chain | undefined {
  return (Object.keys(CHAIN_PARAMS) as Chain[]).find((chain) => CHAIN_PARAMS[chain].arg === arg);
}
