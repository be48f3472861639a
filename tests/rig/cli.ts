// npm run rig -- up|down|status <topology> [--stack NAME] — the rig by hand, for debugging a plan on this machine.
import { Command, InvalidArgumentError } from "commander";
import { StackSettingsError } from "../../src/plan/stack.js";
import type { ServiceName } from "../../src/plan/types.js";
import { down } from "./down.js";
import { up } from "./apply.js";
import { planFromFile } from "./plan.js";
import { formatStatus, status } from "./status.js";

function integer(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number)) throw new InvalidArgumentError("not a whole number");
  return number;
}

function override(value: string, previous: Record<string, string>): Record<string, string> {
  const [from, to, ...rest] = value.split("=");
  if (!from || !to || rest.length > 0) throw new InvalidArgumentError("expected <planned image>=<image to run>");
  return { ...previous, [from]: to };
}

const program = new Command("rig")
  .description("apply a topology's lab plan to the local Docker engine (test support; production uses Pulumi)")
  .showHelpAfterError();

program
  .command("up")
  .description("create or update the lab, wait until every node is healthy and every edge connected")
  .argument("<topology>", "topology file")
  .option("--stack <name>", "stack name", "dev")
  .option("--subnet <cidr>", "lab subnet (required for stacks without defaults)")
  .option("--port-base <port>", "first host port of the stack", integer)
  .option("--image-override <planned=actual>", "run another image instead of a planned one (repeatable)", override, {} as Record<string, string>)
  .option("--state-dir <dir>", "where the rig keeps stack state (default $NETLAB_RIG_STATE or ~/.cache/bitcoin-netlab/rig)")
  .option("--services <list>", "planned services to run, comma-separated: graphite,exporter,viewer,grafana (default none)", (value: string) => value.split(",").filter(Boolean))
  .action(async (topology: string, options: { stack: string; subnet?: string; portBase?: number; imageOverride: Record<string, string>; stateDir?: string; services?: string[] }) => {
    const { plan, credentials } = planFromFile(topology, {
      stack: options.stack,
      ...(options.subnet === undefined ? {} : { subnet: options.subnet }),
      ...(options.portBase === undefined ? {} : { portBase: options.portBase }),
      ...(Object.keys(options.imageOverride).length === 0 ? {} : { imageOverrides: options.imageOverride }),
      ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    });
    const unknown = (options.services ?? []).filter((name) => !plan.services.some((s) => s.service === name));
    if (unknown.length > 0) throw new InvalidArgumentError(`unknown service(s) ${unknown.join(", ")}; the plan has ${plan.services.map((s) => s.service).join(", ") || "none"}`);
    const report = await up(plan, {
      credentials,
      services: (options.services ?? []) as ServiceName[],
      ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    });
    console.log(JSON.stringify({ stack: plan.stack, ...report }, null, 2));
  });

program
  .command("down")
  .description("remove every container, network and volume labelled with the stack, and its rig state")
  .argument("[topology]", "topology file (not needed: the stack's labels say what to remove)")
  .option("--stack <name>", "stack name", "dev")
  .option("--state-dir <dir>", "where the rig keeps stack state")
  .action(async (_topology: string | undefined, options: { stack: string; stateDir?: string }) => {
    await down(options.stack, options.stateDir === undefined ? {} : { stateDir: options.stateDir });
  });

program
  .command("status")
  .description("per node: container state and health, block height, peer count")
  .argument("[topology]", "topology file (not needed)")
  .option("--stack <name>", "stack name", "dev")
  .option("--json", "print JSON")
  .action(async (_topology: string | undefined, options: { stack: string; json?: boolean }) => {
    const rows = await status(options.stack);
    console.log(options.json ? JSON.stringify(rows, null, 2) : rows.length === 0 ? `stack ${options.stack}: no containers` : formatStatus(rows));
  });

program.parseAsync().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof StackSettingsError ? " (rig: --subnet and --port-base)" : "";
  console.error(`rig: error: ${message}${hint}`);
  process.exitCode = 1;
});
