// Small helpers the experiment runners share: waiting, bounded parallelism, where results go.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export type Log = (line: string) => void;

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** Calls `check` every `intervalMs` until it returns something other than undefined, or returns undefined at the deadline. */
export async function until<T>(check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 100): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined) return result;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}

/** Runs `fn` on every item, at most `limit` at once; results keep the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** experiment-results/<stack>/<kind>-<UTC time>, under the working directory. */
export function defaultOutDir(stack: string, kind: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return resolve("experiment-results", stack, `${kind}-${stamp}`);
}

/** Writes <dir>/<kind>.json and <dir>/<kind>.html; returns their paths. */
export function writeResults(dir: string, kind: string, result: unknown, html: string): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const files = { json: join(dir, `${kind}.json`), html: join(dir, `${kind}.html`) };
  writeFileSync(files.json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(files.html, html);
  return files;
}
