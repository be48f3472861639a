// Keeps the latest graph of a lab: describes the lab, polls every node, builds the graph, tells listeners.
import { EventEmitter } from "node:events";
import type { LabSource } from "./discover.js";
import { buildGraph, edgesFromAddedNodes } from "./graph.js";
import { NodePoller } from "./poll.js";
import type { LabDescription, LabGraph, NodeSnapshot } from "./types.js";

export class LabWatcher extends EventEmitter<{ graph: [LabGraph]; error: [Error] }> {
  private readonly poller: NodePoller;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<LabGraph> | undefined;
  latest: LabGraph | undefined;
  lab: LabDescription | undefined;
  snapshots: NodeSnapshot[] = [];

  constructor(private readonly source: LabSource, private readonly intervalMs = 5000) {
    super();
    this.poller = new NodePoller((node) => source.credentials(node));
  }

  /** One poll of the whole lab; concurrent callers share it. */
  refresh(): Promise<LabGraph> {
    this.running ??= this.poll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async poll(): Promise<LabGraph> {
    const lab = await this.source.describe();
    const snapshots = await this.poller.pollAll(lab.nodes);
    const declared = lab.source === "pulumi" ? lab.declaredEdges : edgesFromAddedNodes(lab, snapshots);
    const graph = buildGraph(lab, snapshots, declared, new Date());
    this.lab = lab;
    this.snapshots = snapshots;
    this.latest = graph;
    this.emit("graph", graph);
    return graph;
  }

  start(): void {
    const tick = () => {
      this.refresh()
        .catch((error: Error) => this.emit("error", error))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
