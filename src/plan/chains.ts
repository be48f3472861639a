import type { Chain } from "../topology/schema.js";

export interface ChainParams {
  /** bitcoin.conf section name for options that only apply on this chain. */
  section: string;
  p2pPort: number;
  rpcPort: number;
  /** True for chains that reach the public Bitcoin network. */
  public: boolean;
}

// bitcoind's defaults per chain.
export const CHAIN_PARAMS: Record<Chain, ChainParams> = {
  main: { section: "main", p2pPort: 8333, rpcPort: 8332, public: true },
  testnet: { section: "test", p2pPort: 18333, rpcPort: 18332, public: true },
  testnet4: { section: "testnet4", p2pPort: 48333, rpcPort: 48332, public: true },
  signet: { section: "signet", p2pPort: 38333, rpcPort: 38332, public: true },
  regtest: { section: "regtest", p2pPort: 18444, rpcPort: 18443, public: false },
};

/** ZMQ publishers inside every node container, for timing work (first-seen blocks and transactions). */
export const ZMQ_PORTS = { hashblock: 28332, hashtx: 28333 } as const;
