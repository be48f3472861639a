// The delaying relay on real 127.0.0.1 sockets (ports 29900-29999): added delay per direction, byte order
// under jitter, and clean close from either side.
import { createServer, connect, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startRelay, type Relay } from "../../src/link/relay.js";

let nextPort = 29900;
const port = () => nextPort++;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** An echo server, or one that hands each connection to `onConnection`. */
async function server(onConnection: (socket: Socket) => void = (s) => s.pipe(s)): Promise<{ port: number; server: Server }> {
  const p = port();
  const srv = createServer({ allowHalfOpen: false }, onConnection);
  await new Promise<void>((resolve) => srv.listen(p, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((done) => srv.close(() => done())));
  return { port: p, server: srv };
}

async function relay(targetPort: number, latencyMs: number, jitterMs = 0, random?: () => number): Promise<Relay> {
  const r = await startRelay({ listenHost: "127.0.0.1", listenPort: port(), targetHost: "127.0.0.1", targetPort, latencyMs, jitterMs, ...(random ? { random } : {}) });
  cleanups.push(() => r.close());
  return r;
}

async function client(p: number): Promise<Socket> {
  const socket = connect({ host: "127.0.0.1", port: p, allowHalfOpen: true, noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  cleanups.push(async () => void socket.destroy());
  return socket;
}

const nextData = (socket: Socket) => new Promise<Buffer>((resolve) => socket.once("data", resolve));

describe("link relay", () => {
  it("adds the latency in each direction: a round trip through a 100 ms relay takes about 200 ms more", async () => {
    const echo = await server();
    const direct = await client(echo.port);
    const delayed = await client((await relay(echo.port, 100)).port);
    const rtt = async (socket: Socket) => {
      const start = performance.now();
      socket.write("ping");
      await nextData(socket);
      return performance.now() - start;
    };
    await rtt(delayed); // the relay's upstream connection is made on the first connection
    const samples = { direct: [] as number[], delayed: [] as number[] };
    for (let i = 0; i < 5; i++) {
      samples.direct.push(await rtt(direct));
      samples.delayed.push(await rtt(delayed));
    }
    samples.direct.forEach((direct, i) => {
      const added = samples.delayed[i]! - direct;
      expect(added).toBeGreaterThanOrEqual(197);
      expect(added).toBeLessThan(240);
    });
  });

  it("delays one direction by the latency: server → client only", async () => {
    let sent = 0;
    const talker = await server((socket) => {
      sent = performance.now();
      socket.write("hello");
    });
    const socket = await client((await relay(talker.port, 80)).port);
    await nextData(socket);
    const oneWay = performance.now() - sent;
    expect(oneWay).toBeGreaterThanOrEqual(79);
    expect(oneWay).toBeLessThan(120);
  });

  it("keeps byte order under jitter larger than the gap between chunks", async () => {
    const echo = await server();
    // Alternating extremes: every other chunk would overtake the one before it if order were not kept.
    let flip = 0;
    const socket = await client((await relay(echo.port, 30, 25, () => (flip++ % 2 === 0 ? 0.999 : 0))).port);
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    const expected: string[] = [];
    for (let i = 0; i < 200; i++) {
      const piece = `${i},`;
      expected.push(piece);
      socket.write(piece);
      await new Promise((r) => setTimeout(r, 1));
    }
    const want = expected.join("");
    await expect.poll(() => Buffer.concat(received).length, { timeout: 5000 }).toBe(want.length);
    expect(Buffer.concat(received).toString()).toBe(want);
  });

  it("passes a large transfer through intact", async () => {
    const echo = await server();
    const socket = await client((await relay(echo.port, 5)).port);
    const payload = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7919) % 251;
    const received: Buffer[] = [];
    let length = 0;
    socket.on("data", (chunk: Buffer) => {
      received.push(chunk);
      length += chunk.length;
    });
    socket.write(payload);
    await expect.poll(() => length, { timeout: 15_000 }).toBe(payload.length);
    expect(Buffer.concat(received).equals(payload)).toBe(true);
  });

  it("pushes back on the sender while the receiver does not read, and delivers everything once it does", async () => {
    let serverSide: Socket | undefined;
    let length = 0;
    const slow = await server((socket) => {
      serverSide = socket;
      socket.pause();
      socket.on("data", (chunk: Buffer) => (length += chunk.length));
    });
    const r = await startRelay({ listenHost: "127.0.0.1", listenPort: port(), targetHost: "127.0.0.1", targetPort: slow.port, latencyMs: 1, jitterMs: 0, maxQueuedBytes: 64 * 1024 });
    cleanups.push(() => r.close());
    const socket = await client(r.port);
    const total = 32 * 1024 * 1024;
    socket.write(Buffer.alloc(total));
    await new Promise((done) => setTimeout(done, 500));
    // The relay stopped reading: most of the data still waits in the sender's own buffer.
    expect(socket.writableLength).toBeGreaterThan(total / 2);
    serverSide!.resume();
    await expect.poll(() => length, { timeout: 15_000 }).toBe(total);
  });

  it("closes cleanly when the client ends: the server sees the end after the data, then the relay lets go", async () => {
    const events: string[] = [];
    const sink = await server((socket) => {
      socket.on("data", (chunk: Buffer) => events.push(`data ${chunk.toString()}`));
      socket.on("end", () => {
        events.push("end");
        socket.end();
      });
    });
    const r = await relay(sink.port, 20);
    const socket = await client(r.port);
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.end("last words");
    await closed;
    expect(events).toEqual(["data last words", "end"]);
    await expect.poll(() => r.connections()).toBe(0);
  });

  it("closes cleanly when the server ends: the client gets the data, then the end", async () => {
    const talker = await server((socket) => socket.end("bye"));
    const r = await relay(talker.port, 20);
    const socket = await client(r.port);
    const events: string[] = [];
    socket.on("data", (chunk: Buffer) => events.push(`data ${chunk.toString()}`));
    await new Promise<void>((resolve) => socket.on("end", () => resolve()));
    socket.end();
    expect(events).toEqual(["data bye"]);
    await expect.poll(() => r.connections()).toBe(0);
  });

  it("resets the client's connection when the target refuses", async () => {
    const closedPort = port(); // nothing listens here
    const socket = await client((await relay(closedPort, 10)).port);
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => socket.on("error", resolve));
    expect(error.code).toBe("ECONNRESET");
  });
});
