// netlab: validate, plan and generate topologies; status, rpc, mine, send and logs for running labs.
import { Command, InvalidArgumentError, Option } from "commander";
import { stringify } from "yaml";
import { buildPlan, planJson } from "../plan/plan.js";
import { rpcAuthLine } from "../plan/rpcauth.js";
import { STACK_DEFAULTS, StackSettingsError, stackSettings } from "../plan/stack.js";
import type { LabPlan } from "../plan/types.js";
import { TopologyError } from "../topology/errors.js";
import { describeLink } from "../topology/link.js";
import { FORMATS, loadTopology, parseTopology, type TopologyFormat } from "../topology/load.js";
import { CHAINS, GENERATOR_MODELS, IMPLEMENTATIONS, type GeneratorSpec, type TopologyFile } from "../topology/schema.js";
import { LabCommandError } from "../lab/docker.js";
import { addExperimentCommands } from "./experiment-commands.js";
import { addLabCommands } from "./lab-commands.js";
import { formatTable } from "./table.js";

/** `netlab plan` shows a plan before any stack exists, so it uses a fixed, clearly fake rpcauth line. */
export const PLACEHOLDER_RPCAUTH = rpcAuthLine("netlab", "placeholder-password-generated-per-stack", "00000000000000000000000000000000");

function number(kind: "integer" | "number") {
  return (text: string): number => {
    const value = Number(text);
    if (text.trim() === "" || Number.isNaN(value) || (kind === "integer" && !Number.isInteger(value)))
      throw new InvalidArgumentError(`"${text}" is not ${kind === "integer" ? "a whole number" : "a number"}.`);
    return value;
  };
}

function printPlan(plan: LabPlan): string {
  const lines = [
    `stack ${plan.stack}: topology ${plan.topology} on ${plan.chain}, network ${plan.network.name} ${plan.network.subnet}`,
    "",
    formatTable(
      ["node", "role", "implementation", "ip", "rpc (host)", "p2p (host)", "image"],
      plan.nodes.map((n) => [n.node, n.role, `${n.implementation} ${n.version}`, n.ip, n.rpcHostAddress, n.p2pHostAddress ?? "-", n.image]),
    ),
    "",
    `edges (${plan.edges.length}):`,
    ...plan.edges.map((e) => `  ${e.from} -> ${e.to}  (${e.target}${e.relayTarget ? ` → ${e.relayTarget}` : ""})${e.link ? `  ${describeLink(e.link)}` : ""}`),
  ];
  if (plan.bootstrap.length > 0) lines.push("", "bootstrap:", ...plan.bootstrap.map((s) => `  ${s.name}: ${s.create}`));
  return `${lines.join("\n")}\n`;
}

/** Validates a generated topology through the same path as a file; problems are named by their option. */
function validateGenerated(file: TopologyFile) {
  try {
    return parseTopology(stringify(file), "netlab generate", "netlab");
  } catch (error) {
    if (!(error instanceof TopologyError)) throw error;
    const option = (path: readonly (string | number)[]) => (path[0] === "generator" && path.length > 1 ? [`--${String(path[1])}`] : path);
    throw new TopologyError("netlab generate", error.issues.map((issue) => ({ path: option(issue.path), message: issue.message })));
  }
}

export function buildCli(): Command {
  const program = new Command("netlab")
    .description("bitcoin-netlab: describe a Bitcoin P2P network in a topology file, plan it, deploy it with Pulumi")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  const formatOption = new Option("--format <format>", "input format (default: detected from the file)").choices(FORMATS);

  program
    .command("validate")
    .description("check a topology file; prints every problem with its place in the file")
    .argument("<file>", "topology file: netlab YAML, Warnet network.yaml or GraphML")
    .addOption(formatOption)
    .action((file: string, options: { format?: TopologyFormat }) => {
      const topology = loadTopology(file, options.format);
      const miners = topology.nodes.filter((n) => n.role === "miner").length;
      process.stdout.write(`${file}: valid ${topology.chain} topology "${topology.name}": ${topology.nodes.length} nodes (${miners} ${miners === 1 ? "miner" : "miners"}), ${topology.edges.length} edges\n`);
    });

  program
    .command("plan")
    .description("print what a stack would create for a topology (deterministic: same input, same output)")
    .argument("<file>", "topology file")
    .option("--stack <name>", `stack name (${Object.keys(STACK_DEFAULTS).join(", ")} have default subnets and ports)`, "dev")
    .option("--subnet <cidr>", "the stack's subnet (default: the stack's own)")
    .option("--port-base <port>", "first host port of the stack (default: the stack's own)", number("integer"))
    .option("--json", "print the whole plan as JSON")
    .addOption(formatOption)
    .action((file: string, options: { stack: string; subnet?: string; portBase?: number; json?: boolean; format?: TopologyFormat }) => {
      const topology = loadTopology(file, options.format);
      const settings = stackSettings(options.stack, { rpcAuth: PLACEHOLDER_RPCAUTH, subnet: options.subnet, portBase: options.portBase });
      const plan = buildPlan(topology, settings);
      process.stdout.write(options.json ? planJson(plan) : printPlan(plan));
    });

  program
    .command("generate")
    .description("write a generated topology (YAML) to stdout, e.g. netlab generate ring --size 8 > topologies/ring.yaml")
    .addArgument(new Command().createArgument("<model>", "graph model").choices(GENERATOR_MODELS))
    .requiredOption("--size <n>", "number of nodes", number("integer"))
    .option("--seed <n>", "random seed (random models)", number("integer"))
    .option("--p <probability>", "erdos-renyi: probability of each edge", number("number"))
    .option("--m <n>", "barabasi-albert: edges each new node attaches with", number("integer"))
    .option("--k <n>", "watts-strogatz: ring neighbours per node (even)", number("integer"))
    .option("--beta <probability>", "watts-strogatz: rewiring probability", number("number"))
    .option("--miners <n>", "how many of the first nodes mine (regtest)", number("integer"))
    .option("--prefix <text>", "node name prefix (default: n)")
    .addOption(new Option("--chain <chain>", "chain").choices(CHAINS).default("regtest"))
    .addOption(new Option("--implementation <name>", "implementation of every node").choices(IMPLEMENTATIONS).default("knots"))
    .option("--version <version>", "version of every node (default: the implementation's default)")
    .option("--name <name>", "topology name")
    .option("--expand", "write every node and edge instead of the generator block")
    .action((model: GeneratorSpec["model"], options: Record<string, unknown>) => {
      const generator: GeneratorSpec = { model, size: options.size as number };
      for (const key of ["seed", "p", "m", "k", "beta", "miners", "prefix"] as const) {
        if (options[key] !== undefined) (generator as Record<string, unknown>)[key] = options[key];
      }
      const file: TopologyFile = {
        name: (options.name as string | undefined) ?? `${model}-${generator.size}`,
        chain: options.chain as TopologyFile["chain"],
        defaults: {
          implementation: options.implementation as "core" | "knots",
          ...(options.version ? { version: options.version as string } : {}),
        },
        generator,
      };
      const topology = validateGenerated(file);
      const output: TopologyFile = options.expand
        ? {
            name: file.name,
            chain: file.chain,
            defaults: file.defaults,
            nodes: topology.nodes.map((n) => ({ name: n.name, role: n.role })),
            edges: topology.edges,
          }
        : file;
      const header = `# Generated by: netlab generate ${process.argv.slice(3).join(" ")}\n`;
      process.stdout.write(header + stringify(output));
    });

  addLabCommands(program);
  addExperimentCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof TopologyError || error instanceof StackSettingsError || error instanceof LabCommandError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    const code = (error as { exitCode?: number; code?: string }).exitCode;
    if (code !== undefined) {
      // commander has already printed its message (or help).
      const helpShown = ["commander.helpDisplayed", "commander.version", "commander.help"].includes((error as { code?: string }).code ?? "");
      return helpShown ? 0 : code === 0 ? 0 : 2;
    }
    throw error;
  }
}
