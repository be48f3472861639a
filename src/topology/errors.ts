// Every problem in a topology names the file, the place in it and what is wrong.
export type IssuePath = readonly (string | number)[];

export interface TopologyIssue {
  path: IssuePath;
  message: string;
  /** 1-based line in the file, when the path can be found in it. */
  line?: number;
}

export function formatPath(path: IssuePath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? part : `.${part}`;
  }
  return out === "" ? "(top level)" : out;
}

export function formatIssue(file: string, issue: TopologyIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}`;
  return `${where}: ${formatPath(issue.path)}: ${issue.message}`;
}

/** A topology that must not be planned or deployed; carries all its problems at once. */
export class TopologyError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly TopologyIssue[],
  ) {
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(`${file}: ${count}\n${issues.map((issue) => `  ${formatIssue(file, issue)}`).join("\n")}`);
    this.name = "TopologyError";
  }
}
