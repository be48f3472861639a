// Link conditions as a topology writes them ("100ms", "1%", "1mbit") and as the planner reads them (numbers).
import { z } from "zod";

/** Resolved conditions of one edge; absent fields are not conditioned. */
export interface LinkConditions {
  /** One-way delay added in each direction, milliseconds. */
  latencyMs?: number;
  /** Each chunk's delay is latency ± up to this, milliseconds. */
  jitterMs?: number;
  /** Share of packets dropped, in each direction, percent. */
  lossPercent?: number;
  /** Rate limit in each direction, kbit/s. */
  bandwidthKbit?: number;
}

const DURATION = /^([0-9]+(?:\.[0-9]+)?)(us|ms|s)$/;
const BANDWIDTH = /^([0-9]+(?:\.[0-9]+)?)(kbit|mbit|gbit)$/i;

export function durationMs(text: string): number {
  const [, amount, unit] = DURATION.exec(text)!;
  return Number(amount) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[unit!]!;
}

export function bandwidthKbit(text: string): number {
  const [, amount, unit] = BANDWIDTH.exec(text)!;
  return Number(amount) * ({ kbit: 1, mbit: 1000, gbit: 1_000_000 } as Record<string, number>)[unit!.toLowerCase()]!;
}

export function lossPercent(value: string | number): number {
  return typeof value === "number" ? value : Number(value.replace(/%$/, ""));
}

const duration = z
  .string({ error: 'must be a duration such as "100ms" (units: us, ms, s)' })
  .regex(DURATION, { abort: true, error: (issue) => `${JSON.stringify(issue.input)} is not a duration: write e.g. "100ms", "1.5s" or "500us"` })
  .refine((text) => durationMs(text) <= 60_000, { error: "must be at most 60s" });

const LOSS_TEXT = /^[0-9]+(\.[0-9]+)?%?$/;
const loss = z
  .union([z.number(), z.string()], { error: 'must be a percentage such as "1%" or 1' })
  .check((ctx) => {
    const value = ctx.value;
    if (typeof value === "string" && !LOSS_TEXT.test(value))
      ctx.issues.push({ code: "custom", input: value, message: 'must be a percentage such as "1%" or 1' });
    else if (!(lossPercent(value) >= 0 && lossPercent(value) < 100))
      ctx.issues.push({ code: "custom", input: value, message: "must be at least 0% and less than 100% (at 100% the edge never connects)" });
  });

const bandwidth = z
  .string({ error: 'must be a rate such as "1mbit" or "500kbit"' })
  .regex(BANDWIDTH, { abort: true, error: (issue) => `${JSON.stringify(issue.input)} is not a rate: write e.g. "500kbit", "1mbit" or "1gbit" (bits per second)` })
  .refine((text) => bandwidthKbit(text) >= 8, { error: "must be at least 8kbit" })
  .refine((text) => bandwidthKbit(text) <= 100_000_000, { error: "must be at most 100gbit" });

/** The fields, shared by an edge entry and a node's (or the defaults') `link:` block. */
export const linkFields = { latency: duration, jitter: duration, loss, bandwidth };

export const linkSchema = z.object(linkFields).partial().strict();
export type LinkSpec = z.infer<typeof linkSchema>;

export function resolveLink(spec: LinkSpec): LinkConditions {
  const out: LinkConditions = {};
  if (spec.latency !== undefined) out.latencyMs = durationMs(spec.latency);
  if (spec.jitter !== undefined) out.jitterMs = durationMs(spec.jitter);
  if (spec.loss !== undefined) out.lossPercent = lossPercent(spec.loss);
  if (spec.bandwidth !== undefined) out.bandwidthKbit = bandwidthKbit(spec.bandwidth);
  return out;
}

/** Per field: the first of the specs that sets it (edge, then dialling node, then target node). */
export function mergeLink(...specs: (LinkSpec | undefined)[]): LinkSpec {
  const out: LinkSpec = {};
  for (const key of ["latency", "jitter", "loss", "bandwidth"] as const) {
    const found = specs.find((spec) => spec?.[key] !== undefined)?.[key];
    if (found !== undefined) (out as Record<string, unknown>)[key] = found;
  }
  return out;
}

export const hasConditions = (link: LinkConditions | undefined): link is LinkConditions =>
  link !== undefined && Object.values(link).some((value) => value !== undefined && value > 0);

/** "latency 100ms ±10ms, loss 1%, 1mbit": for plans, reports and the viewer. */
export function describeLink(link: LinkConditions): string {
  const parts: string[] = [];
  if (link.latencyMs) parts.push(`latency ${link.latencyMs}ms${link.jitterMs ? ` ±${link.jitterMs}ms` : ""}`);
  else if (link.jitterMs) parts.push(`jitter ±${link.jitterMs}ms`);
  if (link.lossPercent) parts.push(`loss ${link.lossPercent}%`);
  if (link.bandwidthKbit) parts.push(link.bandwidthKbit >= 1000 ? `${link.bandwidthKbit / 1000}mbit` : `${link.bandwidthKbit}kbit`);
  return parts.join(", ");
}
