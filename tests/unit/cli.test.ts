// The netlab CLI and the stack wrapper, run as a user runs them: as processes, judged by output and exit code.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const repoRoot = resolve(import.meta.dirname, "../..");
const nodeBin = dirname(process.execPath);

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(command, args, { cwd: repoRoot, env, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
const netlab = (...args: string[]) => run(process.execPath, ["bin/netlab.js", ...args]);

describe("netlab validate", () => {
  it("accepts every shipped topology", () => {
    for (const file of ["dev", "regtest-10", "generated-50", "testnet", "mainnet"]) {
      const result = netlab("validate", `topologies/${file}.yaml`);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^topologies/${file}\\.yaml: valid \\w+ topology`));
    }
  });

  it("exits 1 and lists every problem with file and line", () => {
    const dir = mkdtempSync(join(tmpdir(), "netlab-cli-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "chain: regtest\nnodes:\n  - name: a\n  - name: a\nedges:\n  - { from: a, to: b }\n");
    const result = netlab("validate", file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}: 2 problems`);
    expect(result.stderr).toContain(`${file}:4: nodes[1].name: duplicate node name "a" (first declared at nodes[0])`);
    expect(result.stderr).toContain(`${file}:6: edges[0].to: unknown node "b"`);
    expect(result.stdout).toBe("");
  });

  it("names a missing file", () => {
    const result = netlab("validate", "topologies/nope.yaml");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^topologies\/nope\.yaml: 1 problem\n.*cannot read the file: ENOENT/);
  });
});

describe("netlab plan", () => {
  it("prints the same JSON plan on every run", () => {
    const first = netlab("plan", "topologies/regtest-10.yaml", "--stack", "regtest", "--json");
    const second = netlab("plan", "topologies/regtest-10.yaml", "--stack", "regtest", "--json");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(second.stdout);
    const plan = JSON.parse(first.stdout);
    expect(plan.nodes).toHaveLength(10);
    expect(plan.network).toMatchObject({ name: "regtest-net", subnet: "10.77.2.0/24" });
  });

  it("prints a readable summary with addresses and edges", () => {
    const result = netlab("plan", "topologies/dev.yaml");
    expect(result.stdout).toContain("stack dev: topology dev on regtest, network dev-net 10.77.1.0/24");
    expect(result.stdout).toMatch(/n1 +miner +knots 29\.4 +10\.77\.1\.10 +127\.0\.0\.1:21000/);
    expect(result.stdout).toContain("n2 -> n1  (10.77.1.10:18444)");
  });

  it("rejects stack settings it cannot use", () => {
    const result = netlab("plan", "topologies/dev.yaml", "--stack", "lab7");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('stack "lab7" has no default subnet and port range');
    const custom = netlab("plan", "topologies/dev.yaml", "--stack", "lab7", "--subnet", "10.90.0.0/24", "--port-base", "31000", "--json");
    expect(custom.code, custom.stderr).toBe(0);
    expect(JSON.parse(custom.stdout).nodes[0].rpcHostAddress).toBe("127.0.0.1:31000");
  });
});

describe("netlab generate", () => {
  it("writes a topology that validates and plans", () => {
    const dir = mkdtempSync(join(tmpdir(), "netlab-cli-"));
    for (const [args, nodes, edges] of [
      [["ring", "--size", "8"], 8, 8],
      [["barabasi-albert", "--size", "12", "--m", "2", "--seed", "4", "--miners", "2"], 12, 21],
      [["watts-strogatz", "--size", "10", "--k", "4", "--beta", "0.2", "--expand"], 10, 20],
    ] as const) {
      const result = netlab("generate", ...args);
      expect(result.code, result.stderr).toBe(0);
      const file = join(dir, `${args[0]}.yaml`);
      writeFileSync(file, result.stdout);
      const check = netlab("validate", file);
      expect(check.code, check.stderr).toBe(0);
      expect(check.stdout).toContain(`${nodes} nodes`);
      expect(check.stdout).toContain(`${edges} edges`);
    }
    const expanded = parse(netlab("generate", "line", "--size", "3", "--expand").stdout);
    expect(expanded.edges).toEqual([{ from: "n2", to: "n1" }, { from: "n3", to: "n2" }]);
  });

  it("names the option that is out of range", () => {
    const result = netlab("generate", "watts-strogatz", "--size", "6", "--k", "3");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("netlab generate: --k: k (ring neighbours per node) must be even");
    expect(result.stdout).toBe("");
  });

  it("answers --help and rejects unknown models with exit 2", () => {
    const help = netlab("generate", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("barabasi-albert: edges each new node attaches with");
    const bad = netlab("generate", "tree", "--size", "3");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Allowed choices are line, ring, star, complete, erdos-renyi, barabasi-albert, watts-strogatz");
  });
});

describe("npm start / npm run stack", () => {
  const stack = (env: NodeJS.ProcessEnv, ...args: string[]) => run(process.execPath, ["--import", "tsx", "scripts/stack.ts", ...args], env);

  it("says in one line how to get the Pulumi CLI when it is missing, and exits non-zero", () => {
    const result = stack({ PATH: `${nodeBin}:/usr/bin:/bin`, HOME: process.env.HOME }, "up", "dev");
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("the Pulumi CLI is not installed; get it from https://www.pulumi.com/docs/iac/download-install/");
  });

  it("creates the stack with generated credentials, passing the password only on stdin", () => {
    // A stand-in `pulumi` that records each call; the real CLI cannot be installed on these machines.
    const dir = mkdtempSync(join(tmpdir(), "netlab-fake-pulumi-"));
    const log = join(dir, "calls.log");
    writeFileSync(
      join(dir, "pulumi"),
      `#!/bin/sh\nprintf 'ARGS %s\\n' "$*" >> ${log}\ncase "$*" in "config set"*) printf 'STDIN %s\\n' "$(cat)" >> ${log};; "config get"*) exit 1;; esac\nexit 0\n`,
    );
    chmodSync(join(dir, "pulumi"), 0o755);
    const result = stack({ PATH: `${dir}:${nodeBin}:/usr/bin:/bin`, HOME: process.env.HOME, PULUMI_CONFIG_PASSPHRASE: "test" }, "up", "dev");
    expect(result.code, result.stderr).toBe(0);
    const calls = readFileSync(log, "utf8").trim().split("\n");
    expect(calls.filter((c) => c.startsWith("ARGS"))).toEqual([
      "ARGS version",
      "ARGS stack select --create dev",
      "ARGS config get netlab:rpcAuth --stack dev",
      "ARGS config set netlab:rpcAuth --stack dev",
      "ARGS config set netlab:rpcPassword --stack dev --secret",
      "ARGS config set netlab:grafanaPassword --stack dev --secret",
      "ARGS up --stack dev --yes",
    ]);
    const [auth, password, grafanaPassword] = calls.filter((c) => c.startsWith("STDIN")).map((c) => c.slice(6));
    expect(grafanaPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(auth).toMatch(/^netlab:[0-9a-f]{32}\$[0-9a-f]{64}$/);
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(calls.filter((c) => c.startsWith("ARGS")).join("\n")).not.toContain(password);
    expect(result.stderr).not.toContain(password);
  });
});
