// Go-style durations ("10s", "1m30s", "500ms"), as the plan and Docker's CLI write them, to the nanoseconds
// the Engine API takes.
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

export function durationNs(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== text)
    throw new Error(`"${text}" is not a duration such as 10s, 1m30s or 500ms`);
  return Math.round(parts.reduce((sum, part) => sum + Number(part[1]) * UNIT_NS[part[2]!]!, 0));
}
