// npm run stack -- <init|up|preview|destroy|output> <stack> [--rotate] [-- extra pulumi args]
// Wraps the Pulumi CLI for a local lab: state and a generated passphrase live in .pulumi-state/ of this
// checkout (no account, no login), and each stack gets its own generated RPC credentials as config.
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateRpcCredentials } from "../src/plan/rpcauth.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ACTIONS = ["init", "up", "preview", "destroy", "output"] as const;
type Action = (typeof ACTIONS)[number];
const USAGE = `usage: npm run stack -- <${ACTIONS.join("|")}> <stack> [--rotate] [-- extra pulumi args]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function pulumiEnvironment(): NodeJS.ProcessEnv {
  const stateDir = join(repoRoot, ".pulumi-state");
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL ?? `file://${stateDir}` };
  if (env.PULUMI_CONFIG_PASSPHRASE === undefined && env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
    const passphraseFile = join(stateDir, "passphrase");
    if (!existsSync(passphraseFile)) writeFileSync(passphraseFile, randomBytes(32).toString("base64url"), { mode: 0o600 });
    env.PULUMI_CONFIG_PASSPHRASE_FILE = passphraseFile;
  }
  return env;
}

function pulumi(args: string[], env: NodeJS.ProcessEnv, options: SpawnSyncOptions = {}) {
  const result = spawnSync("pulumi", args, { cwd: repoRoot, env, stdio: "inherit", ...options });
  if (result.error && (result.error as NodeJS.ErrnoException).code === "ENOENT")
    fail("netlab: the Pulumi CLI is not installed; get it from https://www.pulumi.com/docs/iac/download-install/ (netlab validate, plan and generate work without it)");
  return result;
}

function init(stack: string, rotate: boolean, env: NodeJS.ProcessEnv): void {
  if (pulumi(["stack", "select", "--create", stack], env).status !== 0) fail(`netlab: could not select or create stack "${stack}"`);
  const existing = pulumi(["config", "get", "netlab:rpcAuth", "--stack", stack], env, { stdio: "pipe" });
  if (existing.status === 0 && !rotate) return;
  const credentials = generateRpcCredentials();
  const set = (key: string, value: string, secret: boolean) => {
    // The value goes through stdin, never the argument list (visible to every user in `ps`).
    const args = ["config", "set", key, "--stack", stack, ...(secret ? ["--secret"] : [])];
    if (pulumi(args, env, { input: value, stdio: ["pipe", "inherit", "inherit"] }).status !== 0) fail(`netlab: could not set ${key}`);
  };
  set("netlab:rpcAuth", credentials.auth, false);
  set("netlab:rpcPassword", credentials.password, true);
  process.stderr.write(`netlab: ${rotate ? "rotated" : "generated"} RPC credentials for stack "${stack}" (user ${credentials.user})\n`);
}

function main(argv: string[]): void {
  const { values, positionals } = parseArgs({ args: argv, options: { rotate: { type: "boolean" }, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [action, stack, ...extra] = positionals;
  if (!ACTIONS.includes(action as Action) || stack === undefined) fail(USAGE);
  pulumi(["version"], process.env, { stdio: "ignore" });
  const env = pulumiEnvironment();
  init(stack, values.rotate === true, env);
  const commands: Record<Action, string[] | undefined> = {
    init: undefined,
    up: ["up", "--stack", stack, "--yes"],
    preview: ["preview", "--stack", stack, "--diff"],
    destroy: ["destroy", "--stack", stack, "--yes"],
    output: ["stack", "output", "--stack", stack, "--json"],
  };
  const command = commands[action as Action];
  if (command !== undefined) process.exit(pulumi([...command, ...extra], env).status ?? 1);
}

main(process.argv.slice(2));
