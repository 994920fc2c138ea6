/**
 * Small node:http helpers shared by the emulators: listening on an ephemeral port, closing a server together with
 * every socket it holds (tests run with `--detectOpenHandles`), reading bodies, and sending requests that never keep
 * a connection alive after the response.
 */
import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

/** Default cap on request bodies the emulators accept. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Starts listening and resolves with the bound port (`port` 0 picks a free one). */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops listening and destroys every open connection, so no keep-alive socket outlives the emulator. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      server.closeAllConnections();
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Reads a request body; rejects past `limit` bytes. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.byteLength;
      if (size > limit) {
        reject(new Error(`body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Writes a JSON response. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Form parameters where a repeated name (`StatusCallbackEvent=a&StatusCallbackEvent=b`) becomes an array. */
export type FormParams = Record<string, string | string[]>;

/** Parses `application/x-www-form-urlencoded`, keeping repeated names (the twilio SDK repeats array params). */
export function parseForm(body: string): FormParams {
  const out: FormParams = {};
  for (const [k, v] of new URLSearchParams(body)) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else out[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** Encodes form parameters, repeating names whose value is an array. */
export function encodeForm(params: Readonly<Record<string, string | readonly string[]>>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string') sp.append(k, v);
    else for (const item of v) sp.append(k, item);
  }
  return sp.toString();
}

/** One HTTP exchange as the emulators saw it. */
export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Wall time from sending to the end of the response body. */
  readonly ms: number;
}

/** A request to send with {@link sendHttp}. */
export interface HttpRequestSpec {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Rejects with `timeout` after this long. */
  readonly timeoutMs: number;
  /** Aborts the request (emulator shutdown). */
  readonly signal?: AbortSignal;
}

/**
 * Sends one request without connection reuse (`agent: false`): the emulators must not leave keep-alive sockets to
 * the app behind after `close()`.
 */
export function sendHttp(spec: HttpRequestSpec): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const url = new URL(spec.url);
    const started = performance.now();
    const body = spec.body === undefined ? undefined : Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body);
    const headers: Record<string, string> = { connection: 'close', ...spec.headers };
    if (body) headers['content-length'] = String(body.byteLength);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (err: Error | undefined, result?: HttpResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(result!);
    };
    const req = send(url, { method: spec.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        finish(undefined, {
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - started,
        }),
      );
      res.on('error', (e) => finish(e));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(new Error(`timeout after ${spec.timeoutMs} ms`));
    }, spec.timeoutMs);
    const onAbort = () => {
      req.destroy();
      finish(new Error('aborted'));
    };
    // The listener goes first: destroying a request without one crashes the process with "socket hang up".
    req.on('error', (e) => finish(e));
    if (spec.signal?.aborted) return onAbort();
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    req.end(body);
  });
}

/** First value of a header Node may have folded into an array. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** `setTimeout` as a promise that an abort signal can cut short (resolves, never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
