// The exporter process: `exporter <config.json>` (see ExporterFileConfig). Runs until SIGTERM.
import Docker from "dockerode";
import { readFileSync } from "node:fs";
import type { ExporterFileConfig } from "../plan/monitoring.js";
import { labNodesFromDocker, labNodesFromFile, labNodesFromSwarm } from "./discover.js";
import { Exporter } from "./exporter.js";

function main(): void {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: exporter <config.json>\n");
    process.exit(2);
  }
  const config = JSON.parse(readFileSync(file, "utf8")) as ExporterFileConfig;
  const password = readFileSync(config.rpc.passwordFile, "utf8").trim();
  const exporter = new Exporter({
    stack: config.stack,
    intervalSeconds: config.intervalSeconds,
    statsd: config.statsd,
    rpc: { user: config.rpc.user, password },
    nodes:
      config.discovery === "lab-file" && config.labFile !== undefined
        ? labNodesFromFile(config.labFile)
        : (config.discovery === "swarm" ? labNodesFromSwarm : labNodesFromDocker)(new Docker(), config.stack, config.rpc.port),
    dockerStats: config.dockerStats,
  });
  let rounds = 0;
  exporter.start(
    (results) => {
      rounds += 1;
      const down = results.filter((r) => !r.up);
      // A line on the first round and whenever a node is down; quiet otherwise.
      if (rounds === 1 || down.length > 0)
        process.stdout.write(`exporter: round ${rounds}: ${results.length - down.length}/${results.length} nodes up${down.length ? ` (down: ${down.map((d) => `${d.node}: ${d.error}`).join("; ")})` : ""}\n`);
    },
    (error) => process.stderr.write(`exporter: round failed: ${error.message}\n`),
  );
  process.stdout.write(`exporter: stack ${config.stack}, every ${config.intervalSeconds} s to statsd ${config.statsd.host}:${config.statsd.port}\n`);
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void exporter.stop().then(() => process.exit(0)));
}

main();
