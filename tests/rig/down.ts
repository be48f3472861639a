// `down`: everything labelled netlab.stack=<stack> goes (containers, then networks and volumes), and the state
// file. Works from labels alone, so it also cleans up after a run that never wrote its state.
import { checkStackSettings } from "../../src/plan/stack.js";
import { docker, inspectNetwork, removeContainer, removeNetwork, removeVolume } from "./docker.js";
import { readState, removeState } from "./state.js";
import { removeServices } from "./swarm.js";
import { mapLimit, poll, seconds, stderrLogger, type Logger } from "./util.js";

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

/**
 * `endpoints`: the Docker engines to clean (default: those the stack's state names, else the local engine),
 * so a lab over several hosts goes everywhere.
 */
export async function down(stack: string, options: { stateDir?: string; log?: Logger; endpoints?: (string | undefined)[] } = {}): Promise<DownReport> {
  checkStackName(stack);
  const log = options.log ?? stderrLogger;
  const started = Date.now();
  const filters = stackLabelFilter(stack);
  const endpoints = options.endpoints ?? readState(stack, options.stateDir)?.plan?.hosts.map((host) => host.docker) ?? [undefined];
  const report: DownReport = { containers: [], networks: [], volumes: [] };
  // Swarm mode: services first (on the manager), then their task containers leave every host.
  const removed = await Promise.all(endpoints.map((endpoint) => removeServices(stack, endpoint)));
  const services = removed.flatMap((names) => names ?? []);
  if (services.length > 0) {
    log(`${services.length} Swarm services removed; waiting for their tasks to stop`);
    await poll(
      "the Swarm tasks' containers to go",
      async () => {
        const left = await Promise.all(
          endpoints.map((endpoint) =>
            docker(endpoint)
              .listContainers({ all: true, filters: { label: [`netlab.stack=${stack}`, "com.docker.swarm.service.name"] } })
              .then((list) => list.length, () => 0), // an engine that does not answer (a stopped host) holds none we can remove
          ),
        );
        return left.every((n) => n === 0) ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
  }
  for (const endpoint of endpoints) {
    const engine = docker(endpoint);
    if (services.length > 0 && !(await engine.ping().then(() => true, () => false))) {
      log(`engine ${endpoint ?? "local"} does not answer; skipped`);
      continue;
    }
    const containers = (await engine.listContainers({ all: true, filters })).map((info) => info.Names[0]?.replace(/^\//, "") ?? info.Id);
    await mapLimit(containers, 8, (name) => removeContainer(name, endpoint));
    // A Swarm-scoped network (the overlay) is removed on a manager only.
    const manager = removed[endpoints.indexOf(endpoint)] !== undefined;
    const networks = (await engine.listNetworks({ filters })).filter((info) => manager || info.Scope !== "swarm").map((info) => info.Name);
    // Docker 20.10 sometimes keeps a removed container's endpoint counted ("has active endpoints" with none
    // attached; moby#42119): nothing but a dockerd restart removes that network. It is left, said, and reused by
    // the next `up` of the stack; any other failure is an error, after the volumes went too.
    const kept = new Set<string>();
    const networkFailure = await mapLimit(networks, 4, async (name) => {
      try {
        await removeNetwork(name, endpoint);
      } catch (error) {
        const attached = Object.keys((await inspectNetwork(name, endpoint))?.Containers ?? {}).length;
        if (!String((error as Error).message).includes("has active endpoints") || attached > 0) throw error;
        kept.add(name);
        log(`warning: network ${name} stays: Docker counts an endpoint no container holds (a Docker 20.10 bug); a dockerd restart removes it, and the next up reuses it`);
      }
    }).then(() => undefined, (error: Error) => error);
    const volumes = ((await engine.listVolumes({ filters })).Volumes ?? []).map((info) => info.Name);
    await mapLimit(volumes, 8, (name) => removeVolume(name, endpoint));
    if (networkFailure !== undefined) throw networkFailure;
    report.containers.push(...containers);
    report.networks.push(...networks.filter((name) => !kept.has(name)));
    report.volumes.push(...volumes);
  }
  removeState(stack, options.stateDir);
  log(`stack ${stack} down: ${report.containers.length} containers, ${report.networks.length} networks, ${report.volumes.length} volumes removed in ${seconds(Date.now() - started)}`);
  return report;
}
