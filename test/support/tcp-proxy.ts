import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy a test puts between the app and a server, to take the server away and bring it back without touching
 * it: `cut()` drops every connection and refuses new ones (as a database that went down), `restore()` listens again
 * on the same port.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  constructor(
    private readonly target: { readonly host: string; readonly port: number },
    private readonly host = '127.0.0.1',
  ) {}

  /** Starts listening (on a free port the first time); returns the port. */
  async start(): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        // A reset on one side ends the pair; the error itself is what the test provokes.
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** Drops every connection and stops accepting: clients get resets, then refusals. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Accepts connections again, on the same port. */
  restore(): Promise<number> {
    return this.start();
  }

  close(): Promise<void> {
    return this.cut();
  }
}
