import { type Server, type Socket, createConnection, createServer } from 'node:net';

export interface TcpProxy {
  /** The loopback port the proxy listens on. */
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  urlThrough(url: string): string;
  /** What a database restart does to its clients: every open connection is cut and new ones are refused. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** A server that stops answering but drops nothing: connections stay open (new ones too), no byte goes through. */
  stall(): void;
  /** Lets the bytes held since `stall` through, and forwards again. */
  resume(): void;
  /** New connections are forwarded again while those open during `stall` stay silent (a failover, a lost NAT). */
  resumeNewOnly(): void;
  /**
   * The next time a client sends bytes that `matches` accepts, they go through and that client's connection is cut
   * before an answer can come back: a statement (a COMMIT) that ran, with its client never told. `matches` sees every
   * chunk with the connection it came on (the same object for all of a connection's chunks).
   */
  cutAfterNext(matches: (chunk: Buffer, connection: object) => boolean): Promise<void>;
  close(): Promise<void>;
}

/** A loopback TCP proxy to `target`, for tests that take a server away and bring it back. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;
  let stalled = false;
  let armed: { matches: (chunk: Buffer, connection: object) => boolean; done: () => void } | undefined;

  function track(socket: Socket): void {
    sockets.add(socket);
    // A paused socket reads nothing more: what arrives waits in the kernel, as behind a stuck middlebox.
    if (stalled) socket.pause();
    socket.once('close', () => sockets.delete(socket));
    // A cut connection errors on both sides (ECONNRESET): that is the point, not a test failure.
    socket.on('error', () => socket.destroy());
  }

  function listen(): Promise<void> {
    server = createServer((client) => {
      const upstream = createConnection(target);
      track(client);
      track(upstream);
      client.on('data', (chunk: Buffer) => {
        if (!armed?.matches(chunk, client)) {
          upstream.write(chunk);
          return;
        }
        const { done } = armed;
        armed = undefined;
        // end() delivers the chunk before the FIN, so the server runs it; the client hears nothing back.
        client.destroy();
        upstream.end(chunk);
        done();
      });
      upstream.pipe(client);
      client.once('close', () => {
        if (upstream.writableEnded) return;
        upstream.destroy();
      });
      upstream.once('close', () => client.destroy());
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        if (typeof address === 'object' && address) port = address.port;
        resolve();
      });
    });
  }

  function stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    return closed;
  }

  await listen();
  return {
    get port() {
      return port;
    },
    urlThrough(url) {
      const through = new URL(url);
      through.hostname = '127.0.0.1';
      through.port = String(port);
      return through.toString();
    },
    cut: stop,
    restore: listen,
    stall() {
      stalled = true;
      for (const socket of sockets) socket.pause();
    },
    resume() {
      stalled = false;
      for (const socket of sockets) socket.resume();
    },
    resumeNewOnly() {
      stalled = false;
    },
    cutAfterNext(matches) {
      return new Promise((done) => {
        armed = { matches, done };
      });
    },
    async close() {
      if (server.listening) await stop();
    },
  };
}
