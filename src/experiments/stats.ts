// Distributions of delays: percentiles, time until a share of the nodes has something, CDF points, a fitted
// slope. Pure.

export interface Distribution {
  count: number;
  min: number;
  p50: number;
  p90: number;
  max: number;
  mean: number;
}

const ascending = (a: number, b: number) => a - b;

/** The q-quantile (0..1) of sorted values, interpolating linearly between ranks (R's type 7, numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/** Count, min, median, 90th percentile, max and mean; undefined for no values. */
export function distribution(values: readonly number[]): Distribution | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort(ascending);
  return {
    count: sorted.length,
    min: sorted[0]!,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    max: sorted.at(-1)!,
    mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
  };
}

/**
 * When the `fraction` share of all nodes had seen an item: the delay of the k-th node to see it, k = ceil(fraction × N)
 * over all N nodes (null entries are nodes that never saw it). Null when fewer than k nodes saw it.
 */
export function timeToFraction(delays: readonly (number | null)[], fraction: number): number | null {
  if (delays.length === 0) return null;
  const k = Math.max(1, Math.ceil(fraction * delays.length - 1e-9));
  const seen = delays.filter((delay): delay is number => delay !== null).sort(ascending);
  return seen.length >= k ? seen[k - 1]! : null;
}

/** Points of the empirical CDF: for each distinct value, the share of values at or below it. */
export function cdfPoints(values: readonly number[]): [number, number][] {
  const sorted = [...values].sort(ascending);
  const points: [number, number][] = [];
  sorted.forEach((value, i) => {
    if (sorted[i + 1] !== value) points.push([value, (i + 1) / sorted.length]);
  });
  return points;
}

/** Least-squares slope of y over x; undefined when x does not vary. */
export function slope(points: readonly (readonly [number, number])[]): number | undefined {
  if (points.length < 2) return undefined;
  const n = points.length;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  if (sxx === 0) return undefined;
  return points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0) / sxx;
}

/** Milliseconds rounded to 0.1 ms: finer digits would claim more than the measurement resolves. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export function roundDistribution(d: Distribution | undefined): Distribution | null {
  if (d === undefined) return null;
  return { count: d.count, min: roundMs(d.min), p50: roundMs(d.p50), p90: roundMs(d.p90), max: roundMs(d.max), mean: roundMs(d.mean) };
}
