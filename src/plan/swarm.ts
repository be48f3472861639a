// Swarm mode: each node is a one-replica Swarm service pinned to its planned host by a node label, reached by
// its service name on the stack's overlay network. Commands find the node's task container wherever it runs.
import type { HostSpec } from "./hosts.js";
import { dockerCli } from "./hosts.js";
import type { SwarmPlan, SwarmTaskPlan } from "./types.js";

/** Label key a Swarm node carries (value "true") to run the nodes planned on `host`; give it to another node to fail over. */
export function hostLabel(host: string): string {
  return `netlab.takes.${host}`;
}

export function swarmTask(service: string, host: HostSpec): SwarmTaskPlan {
  return {
    service,
    constraints: [`node.labels.${hostLabel(host.name)}==true`],
    // Swarm's default 5 s delay also holds back rescheduling after a host dies.
    restart: { condition: "any", delay: "1s", maxAttempts: 0 },
    endpointMode: "dnsrr",
    publishMode: "host",
  };
}

export function swarmPlan(hosts: HostSpec[]): SwarmPlan {
  const manager = dockerCli(hosts[0]!);
  return {
    manager: hosts[0]!.name,
    nodes: hosts.map((host) => {
      const hostname = host.swarmNode ?? host.name;
      const label = hostLabel(host.name);
      return { host: host.name, hostname, label, create: `${manager} node update --label-add ${label}=true ${hostname}`, delete: `${manager} node update --label-rm ${label} ${hostname}` };
    }),
  };
}

/**
 * Shell command running `args` in the service's task container, looked for on its planned host first, then on
 * the others (after a failover the task runs elsewhere). Hosts that do not answer are skipped.
 */
export function taskExec(service: string, planned: HostSpec, hosts: HostSpec[], args: string): string {
  const engines = [planned, ...hosts.filter((host) => host.name !== planned.name)].map((host) => `'${dockerCli(host)}'`);
  return (
    `for d in ${engines.join(" ")}; do ` +
    `c=$($d ps -q -f label=com.docker.swarm.service.name=${service} 2>/dev/null | head -n 1); ` +
    `if [ -n "$c" ]; then exec $d exec "$c" ${args}; fi; done; ` +
    `echo "no running task of service ${service} on any host" >&2; exit 1`
  );
}
