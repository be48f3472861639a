// `status`: per node of a stack, what the engine and the node itself say.
import { bitcoinCli, docker } from "./docker.js";
import { stackLabelFilter } from "./down.js";
import { mapLimit } from "./util.js";

export interface NodeStatus {
  node: string;
  container: string;
  state: string;
  health: string | undefined;
  height: number | undefined;
  peers: number | undefined;
}

export async function status(stack: string): Promise<NodeStatus[]> {
  const containers = await docker().listContainers({ all: true, filters: stackLabelFilter(stack) });
  const rows = await mapLimit(containers, 6, async (info): Promise<NodeStatus> => {
    const container = info.Names[0]?.replace(/^\//, "") ?? info.Id;
    const inspect = await docker().getContainer(info.Id).inspect();
    const running = inspect.State.Running;
    const ask = async (method: string) => (running ? await bitcoinCli<number>(container, method).catch(() => undefined) : undefined);
    return {
      node: info.Labels["netlab.node"] ?? container,
      container,
      state: inspect.State.Status,
      health: inspect.State.Health?.Status,
      height: await ask("getblockcount"),
      peers: await ask("getconnectioncount"),
    };
  });
  return rows.sort((a, b) => a.container.localeCompare(b.container, "en", { numeric: true }));
}

export function formatStatus(rows: NodeStatus[]): string {
  const header = ["NODE", "CONTAINER", "STATE", "HEALTH", "HEIGHT", "PEERS"];
  const cells = rows.map((row) => [row.node, row.container, row.state, row.health ?? "-", String(row.height ?? "-"), String(row.peers ?? "-")]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((line) => line[i]!.length)));
  return [header, ...cells].map((line) => line.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}
