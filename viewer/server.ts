// The viewer's HTTP side: a read-only JSON API, Server-Sent Events for live updates, and the page.
// Only GET exists; no route takes an RPC method, so nothing here can mine, send, connect or change a node.
import express, { type Request, type Response } from "express";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { bundlePage } from "./bundle.js";
import type { LabSource } from "./discover.js";
import { LabWatcher } from "./watcher.js";

export interface ViewerOptions {
  source: LabSource;
  host?: string;
  port?: number;
  pollIntervalMs?: number;
}

export interface RunningViewer {
  url: string;
  watcher: LabWatcher;
  close(): Promise<void>;
}

export async function createViewerApp(watcher: LabWatcher): Promise<express.Express> {
  const page = await bundlePage();
  const app = express();
  app.disable("x-powered-by");

  app.use((req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD") return next();
    res.status(405).set("Allow", "GET, HEAD").json({ error: "the viewer is read-only: only GET is served" });
  });

  const graph = async () => watcher.latest ?? (await watcher.refresh());

  app.get("/", (_req, res) => {
    res.type("html").send(page.html);
  });
  app.get("/healthz", (_req, res) => {
    res.type("text").send("ok\n");
  });
  app.get("/favicon.ico", (_req, res) => {
    res.status(204).end();
  });
  app.get("/app.js", (_req, res) => {
    res.type("js").send(page.js);
  });
  app.get("/api/graph", async (_req, res) => {
    res.json(await graph());
  });
  app.get("/api/nodes/:name", async (req: Request<{ name: string }>, res) => {
    await graph();
    const node = watcher.latest?.nodes.find((n) => n.id === req.params.name && n.kind === "managed");
    const snapshot = watcher.snapshots.find((s) => s.name === req.params.name);
    if (node === undefined) return void res.status(404).json({ error: `no managed node "${req.params.name}" in stack ${watcher.lab?.stack ?? "?"}` });
    res.json({ node, snapshot });
  });
  app.get("/api/events", (req, res: Response) => {
    res.set({ "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" });
    res.flushHeaders();
    const send = (data: unknown) => res.write(`event: graph\ndata: ${JSON.stringify(data)}\n\n`);
    if (watcher.latest) send(watcher.latest);
    watcher.on("graph", send);
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
    req.on("close", () => {
      clearInterval(heartbeat);
      watcher.off("graph", send);
    });
  });
  app.use((_req, res) => {
    res.status(404).json({ error: "not found" });
  });
  // A lab that cannot be described or polled right now is an answer, not a stack trace.
  app.use((error: Error, _req: Request, res: Response, _next: express.NextFunction) => {
    res.status(503).json({ error: `cannot read the lab: ${error.message}` });
  });
  return app;
}

export async function startViewer(options: ViewerOptions): Promise<RunningViewer> {
  const watcher = new LabWatcher(options.source, options.pollIntervalMs);
  watcher.on("error", (error) => process.stderr.write(`viewer: poll failed: ${error.message}\n`));
  const app = await createViewerApp(watcher);
  const host = options.host ?? "127.0.0.1";
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(options.port ?? 0, host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  watcher.start();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    watcher,
    close: async () => {
      watcher.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
