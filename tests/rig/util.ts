// Small helpers the rig's modules share: progress lines, timing, bounded parallelism, polling, stable JSON.

/** Progress goes to stderr so stdout stays machine-readable. */
export type Logger = (line: string) => void;
export const stderrLogger: Logger = (line) => process.stderr.write(`rig: ${line}\n`);
export const silentLogger: Logger = () => {};

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `fn` on every item with at most `limit` calls in flight; results keep the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export class RigTimeoutError extends Error {
  override name = "RigTimeoutError";
}

/**
 * Calls `check` until it returns something other than undefined. On timeout, throws with `describe()`'s text,
 * which should say what was still missing.
 */
export async function poll<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; describe?: () => Promise<string> },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined) return result;
    if (Date.now() >= deadline) {
      const detail = options.describe ? `\n${await options.describe()}` : "";
      throw new RigTimeoutError(`timed out after ${seconds(options.timeoutMs)} waiting for ${what}${detail}`);
    }
    await sleep(options.intervalMs ?? 500);
  }
}

/** JSON with object keys sorted, so two equal specs compare equal whatever order their keys were written in. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

export function sameSpec(a: unknown, b: unknown): boolean {
  return stableJson(a) === stableJson(b);
}
