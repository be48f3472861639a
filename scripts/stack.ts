// npm run stack -- <init|up|preview|destroy|output> <stack> [--rotate] [-- extra pulumi args]
// Wraps the Pulumi CLI for a local lab (state in .pulumi-state/, see src/lab/pulumi.ts); each stack gets its
// own generated RPC credentials as config.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { PulumiMissingError, pulumi, pulumiEnvironment } from "../src/lab/pulumi.js";
import { generateRpcCredentials } from "../src/plan/rpcauth.js";

const ACTIONS = ["init", "up", "preview", "destroy", "output"] as const;
type Action = (typeof ACTIONS)[number];
const USAGE = `usage: npm run stack -- <${ACTIONS.join("|")}> <stack> [--rotate] [-- extra pulumi args]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
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
  set("netlab:grafanaPassword", randomBytes(18).toString("base64url"), true);
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
  pulumi(["version"], process.env, { stdio: "ignore" }); // fails early, before anything is written, without the CLI
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

try {
  main(process.argv.slice(2));
} catch (error) {
  if (error instanceof PulumiMissingError) fail(`netlab: ${error.message}`);
  throw error;
}
