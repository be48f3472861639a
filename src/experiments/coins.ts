// Coins for a stream of transactions: each sender gets many confirmed coins, so that the transactions sent between
// two blocks spread over many chains of unconfirmed change instead of one, which the mempool caps at 25.
import { newAddress, type Lab, type LabNode } from "./lab.js";
import { funderFor, TX_AMOUNT, walletBalances } from "./propagation.js";
import type { Log } from "./util.js";

/** Most coins a sender is given. */
export const MAX_COINS = 50;
/** Fee headroom per transaction, BTC (regtest fees are a few hundred satoshis). */
const FEE = 0.0005;

interface Unspent {
  amount: number;
  spendable: boolean;
}

/**
 * Sends each sender of `count` transactions min(count, 50) confirmed-to-be coins, each enough for its share of the
 * transactions, in one sendmany (minus the coins of that size it already has). The caller mines the block that
 * confirms them. Returns whether anything was sent.
 */
export async function spreadCoins(lab: Lab, senders: ReadonlyMap<LabNode, number>, miners: LabNode[], log: Log): Promise<boolean> {
  const wanted: { node: LabNode; coins: number; value: number }[] = [];
  for (const [node, count] of senders) {
    const want = Math.min(count, MAX_COINS);
    const value = Number((Math.ceil(count / want) * (TX_AMOUNT + FEE) + 0.001).toFixed(8));
    const have = (await node.rpc.call<Unspent[]>("listunspent", [1], { wallet: node.wallet! })).filter((coin) => coin.spendable && coin.amount >= value).length;
    if (have < want) wanted.push({ node, coins: want - have, value });
  }
  if (wanted.length === 0) return false;
  const total = wanted.reduce((sum, w) => sum + w.coins * w.value, 0) + 1;
  const funder = await funderFor(await walletBalances(lab), miners, total, log);
  const outputs: Record<string, number> = {};
  for (const { node, coins, value } of wanted) for (let i = 0; i < coins; i++) outputs[await newAddress(node)] = value;
  log(`coins for the senders from ${funder.name}: ${wanted.map((w) => `${w.node.name} ${w.coins} × ${w.value} BTC`).join(", ")}`);
  await funder.rpc.call("sendmany", ["", outputs], { wallet: funder.wallet!, timeoutMs: 120_000 });
  return true;
}
