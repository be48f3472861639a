// Running the Pulumi CLI for a local lab: state and a generated passphrase live in .pulumi-state/ of the
// checkout, so no account or login is needed.
import { spawnSync, type SpawnSyncOptions, type SpawnSyncReturns } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout (computed when needed: bundled copies of this module have no file URL). */
const repoRoot = () => resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const PULUMI_MISSING =
  "the Pulumi CLI is not installed; get it from https://www.pulumi.com/docs/iac/download-install/ (netlab validate, plan and generate work without it)";

export class PulumiMissingError extends Error {
  override name = "PulumiMissingError";
  constructor() {
    super(PULUMI_MISSING);
  }
}

export function pulumiEnvironment(): NodeJS.ProcessEnv {
  const stateDir = join(repoRoot(), ".pulumi-state");
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL ?? `file://${stateDir}` };
  if (env.PULUMI_CONFIG_PASSPHRASE === undefined && env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
    const passphraseFile = join(stateDir, "passphrase");
    if (!existsSync(passphraseFile)) writeFileSync(passphraseFile, randomBytes(32).toString("base64url"), { mode: 0o600 });
    env.PULUMI_CONFIG_PASSPHRASE_FILE = passphraseFile;
  }
  return env;
}

/** Runs `pulumi <args>` in the checkout; throws PulumiMissingError when the CLI is not installed. */
export function pulumi(args: string[], env: NodeJS.ProcessEnv, options: SpawnSyncOptions = {}): SpawnSyncReturns<string | Buffer> {
  const result = spawnSync("pulumi", args, { cwd: repoRoot(), env, stdio: "inherit", ...options });
  if (result.error && (result.error as NodeJS.ErrnoException).code === "ENOENT") throw new PulumiMissingError();
  return result;
}

export function hasPulumi(): boolean {
  return spawnSync("pulumi", ["version"], { stdio: "ignore" }).error === undefined;
}
