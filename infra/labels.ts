import type { Labels } from "../src/plan/types.js";

/** @pulumi/docker takes labels as a list of {label, value}. */
export function dockerLabels(labels: Labels): { label: string; value: string }[] {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}
