// A small TCP relay that delays data: listens on one address, connects each client to the target, and hands
// every chunk on after latency ± jitter, in each direction. Byte order is kept: a chunk is never delivered
// before the one read before it (delivery = max(previous delivery, arrival + delay)).
import { createServer, connect, type Server, type Socket } from "node:net";

export interface RelayOptions {
  listenHost: string;
  listenPort: number;
  targetHost: string;
  targetPort: number;
  latencyMs: number;
  jitterMs: number;
  /** In [0, 1); Math.random by default (tests pass their own). */
  random?: () => number;
  /** Reading pauses while this many bytes wait for delivery (default 4 MiB). */
  maxQueuedBytes?: number;
  log?: (message: string) => void;
}

export interface Relay {
  port: number;
  connections(): number;
  close(): Promise<void>;
}

/** One direction: reads `from`, writes to `to` after the delay, ends `to` after the last delivery. One timer
 * for the queue's head, so deliveries happen in the order the data was read. */
function delayedPipe(from: Socket, to: Socket, options: RelayOptions): void {
  const random = options.random ?? Math.random;
  const limit = options.maxQueuedBytes ?? 4 * 1024 * 1024;
  const queue: { at: number; bytes: number; deliver: () => void }[] = [];
  let lastDelivery = 0;
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  // Reading pauses while too much waits here or in the outgoing socket's buffer (a slow or shaped peer).
  const maybeResume = () => {
    if (queued <= limit && to.writableLength <= limit && from.isPaused() && !from.destroyed) from.resume();
  };
  to.on("drain", maybeResume);
  const drain = () => {
    timer = undefined;
    while (queue.length > 0 && queue[0]!.at <= performance.now()) {
      const item = queue.shift()!;
      queued -= item.bytes;
      item.deliver();
    }
    maybeResume();
    if (queue.length > 0) timer = setTimeout(drain, Math.max(1, Math.ceil(queue[0]!.at - performance.now())));
  };
  const later = (bytes: number, deliver: () => void) => {
    const delay = Math.max(0, options.latencyMs + (random() * 2 - 1) * options.jitterMs);
    lastDelivery = Math.max(lastDelivery, performance.now() + delay);
    queue.push({ at: lastDelivery, bytes, deliver });
    queued += bytes;
    if (timer === undefined) timer = setTimeout(drain, Math.max(0, Math.ceil(lastDelivery - performance.now())));
  };
  from.on("data", (chunk: Buffer) => {
    later(chunk.length, () => {
      if (!to.destroyed) to.write(chunk);
    });
    if (queued > limit || to.writableLength > limit) from.pause();
  });
  from.on("end", () => later(0, () => to.end()));
  // A reset or failed connection (closed without a clean end) is passed on after what was already read.
  from.on("close", () => {
    if (!from.readableEnded) later(0, () => to.resetAndDestroy());
  });
}

export function startRelay(options: RelayOptions): Promise<Relay> {
  const sockets = new Set<Socket>();
  const log = options.log ?? (() => undefined);
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const upstream = connect({ host: options.targetHost, port: options.targetPort, allowHalfOpen: true, noDelay: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", (error) => log(`relay ${options.listenPort} → ${options.targetHost}:${options.targetPort}: ${error.message}`));
    }
    delayedPipe(client, upstream, options);
    delayedPipe(upstream, client, options);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.listenPort, options.listenHost, () => {
      const address = server.address();
      resolve({
        port: typeof address === "object" && address !== null ? address.port : options.listenPort,
        connections: () => sockets.size / 2,
        close: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
