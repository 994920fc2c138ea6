/**
 * The floor: a bare `ws` server at /twilio/media that opens one upstream socket per connection and forwards raw
 * messages both ways, without parsing (frames that arrive before the upstream opens are held). No Nest, no JSON, no
 * signature check (a per-connection cost only). Same socket options as the app's gateway.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { TargetConfig } from './bench-env.js';
import { failed, ready, serve } from './ipc.js';
import { ProcStats } from './proc-stats.js';

const config = JSON.parse(process.env.BENCH_TARGET ?? '{}') as TargetConfig;
const MAX_PAYLOAD = 1024 * 1024;

function pipe(client: WebSocket): void {
  const upstream = new WebSocket(config.agentUrl, { perMessageDeflate: false, maxPayload: MAX_PAYLOAD });
  const held: [RawData, boolean][] = [];
  upstream.on('open', () => {
    for (const [data, isBinary] of held) upstream.send(data, { binary: isBinary });
    held.length = 0;
  });
  client.on('message', (data, isBinary) => {
    if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
    else if (upstream.readyState === WebSocket.CONNECTING) held.push([data, isBinary]);
  });
  upstream.on('message', (data, isBinary) => {
    if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
  });
  client.on('close', () => {
    if (upstream.readyState === WebSocket.OPEN) upstream.close(1000, 'call ended');
    else if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
  });
  upstream.on('close', () => {
    if (client.readyState === WebSocket.OPEN) client.close(1000, 'upstream closed');
  });
  client.on('error', () => undefined);
  upstream.on('error', () => undefined);
}

try {
  const stats = new ProcStats();
  const server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_PAYLOAD });
  server.on('upgrade', (req, socket, head) => {
    if (req.url !== '/twilio/media') return void socket.destroy();
    wss.handleUpgrade(req, socket, head, pipe);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  serve({
    mark: () => stats.mark(),
    read: () => stats.read(),
    memory: () => stats.memory(),
    probe: () => undefined,
    exit: () => setImmediate(() => process.exit(0)),
  });
  ready({ port: (server.address() as AddressInfo).port, pid: process.pid });
} catch (err) {
  failed(err);
}
