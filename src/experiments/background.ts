// Experiments in the background: a detached netlab process whose pid and log live in its results directory, and
// stopping it with SIGTERM (it then writes its report, as after Ctrl-C).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { LabCommandError } from "../lab/docker.js";
import { sleep } from "./util.js";

export const PID_FILE = "netlab.pid";
export const LOG_FILE = "netlab.log";

/** Starts `netlab <args>` detached, its output in <dir>/netlab.log and its pid in <dir>/netlab.pid. */
export function startDetached(dir: string, args: string[]): number {
  mkdirSync(dir, { recursive: true });
  const log = openSync(join(dir, LOG_FILE), "a");
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], { detached: true, stdio: ["ignore", log, log], cwd: process.cwd() });
  if (child.pid === undefined) throw new LabCommandError(`could not start netlab in the background: ${process.execPath} ${process.argv[1]}`);
  writeFileSync(join(dir, PID_FILE), `${child.pid}\n`);
  child.unref();
  return child.pid;
}

/** Removes <dir>/netlab.pid if it names this process (called by the detached process when it ends). */
export function releasePidFile(dir: string): void {
  const file = join(dir, PID_FILE);
  if (existsSync(file) && Number(readFileSync(file, "utf8").trim()) === process.pid) rmSync(file, { force: true });
}

/** Whether `pid` runs (a zombie, ended but not yet reaped by its new parent, does not count). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  return !existsSync(stat) || readFileSync(stat, "utf8").replace(/^.*\) /s, "")[0] !== "Z";
}

/** Whether `pid` is still the netlab process that writes into `dir` (and not a process that reused the number). */
function ownsDir(pid: number, dir: string): boolean {
  if (!alive(pid)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return true;
  return readFileSync(cmdline, "utf8").split("\0").includes(dir);
}

/** Result directories under experiment-results/<stack> (in the working directory) with a running process. */
export function runningIn(stack: string): string[] {
  const root = resolve("experiment-results", stack);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => join(root, name))
    .filter((dir) => existsSync(join(dir, PID_FILE)));
}

/** Sends SIGTERM to the process of `dir` and waits until it has ended; returns its pid. */
export async function stopDetached(dir: string, timeoutMs: number): Promise<number> {
  const file = join(dir, PID_FILE);
  if (!existsSync(file)) throw new LabCommandError(`nothing runs in ${dir}: no ${PID_FILE} there (already stopped, or not a background experiment)`);
  const pid = Number(readFileSync(file, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new LabCommandError(`${file} holds no process id`);
  if (!ownsDir(pid, dir)) {
    rmSync(file, { force: true });
    throw new LabCommandError(`the experiment of ${dir} (pid ${pid}) is no longer running; removed its stale ${PID_FILE}`);
  }
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new LabCommandError(`pid ${pid} did not end within ${timeoutMs / 1000} s of SIGTERM; see ${join(dir, LOG_FILE)}`);
    await sleep(200);
  }
  rmSync(file, { force: true });
  return pid;
}
