import seedrandom from "seedrandom";

/** A seeded random source, so a generator with the same seed always yields the same graph. */
export function seededRandom(seed: number): () => number {
  return seedrandom(`bitcoin-netlab:${seed}`);
}
