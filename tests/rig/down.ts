// `down`: everything labelled netlab.stack=<stack> goes (containers, then networks and volumes), and the state
// file. Works from labels alone, so it also cleans up after a run that never wrote its state.
import { checkStackSettings } from "../../src/plan/stack.js";
import { docker, removeContainer, removeNetwork, removeVolume } from "./docker.js";
import { removeState } from "./state.js";
import { mapLimit, seconds, stderrLogger, type Logger } from "./util.js";

export interface DownReport {
  containers: string[];
  networks: string[];
  volumes: string[];
}

export function stackLabelFilter(stack: string): { label: string[] } {
  return { label: [`netlab.stack=${stack}`] };
}

function checkStackName(stack: string): void {
  // Only the name rule matters here; the other settings are placeholders that pass.
  checkStackSettings({ stack, subnet: "10.0.0.0/24", portBase: 20000, rpcAuth: `x:00$${"0".repeat(64)}` });
}

export async function down(stack: string, options: { stateDir?: string; log?: Logger } = {}): Promise<DownReport> {
  checkStackName(stack);
  const log = options.log ?? stderrLogger;
  const started = Date.now();
  const filters = stackLabelFilter(stack);
  const containers = (await docker().listContainers({ all: true, filters })).map((info) => info.Names[0]?.replace(/^\//, "") ?? info.Id);
  await mapLimit(containers, 8, removeContainer);
  const networks = (await docker().listNetworks({ filters })).map((info) => info.Name);
  await mapLimit(networks, 4, removeNetwork);
  const volumes = ((await docker().listVolumes({ filters })).Volumes ?? []).map((info) => info.Name);
  await mapLimit(volumes, 8, removeVolume);
  removeState(stack, options.stateDir);
  log(`stack ${stack} down: ${containers.length} containers, ${networks.length} networks, ${volumes.length} volumes removed in ${seconds(Date.now() - started)}`);
  return { containers, networks, volumes };
}
