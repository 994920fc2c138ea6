import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/**
 * Request/response over the Node IPC channel between the orchestrator and its children (advanced serialization, so
 * typed arrays travel as such). Children exit as soon as the orchestrator goes away (the channel disconnects), so an
 * orchestrator killed with SIGKILL leaves no orphans either.
 */
interface Request {
  readonly type: 'req';
  readonly id: number;
  readonly op: string;
  readonly args?: unknown;
}
interface Response {
  readonly type: 'res';
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}
interface Ready {
  readonly type: 'ready';
  readonly value?: unknown;
}
interface Failed {
  readonly type: 'failed';
  readonly error: string;
}
type FromChild = Response | Ready | Failed;

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Handlers = Record<string, (args: any) => unknown>;

/** Child side: answers the orchestrator's requests. */
export function serve(handlers: Handlers): void {
  process.on('message', (m: Request) => {
    if (m?.type !== 'req') return;
    const handler = handlers[m.op];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown op ${m.op}`);
        return handler(m.args);
      })
      .then(
        (value) => process.send?.({ type: 'res', id: m.id, ok: true, value } satisfies Response),
        (err: unknown) =>
          process.send?.({
            type: 'res',
            id: m.id,
            ok: false,
            error: err instanceof Error ? (err.stack ?? err.message) : String(err),
          } satisfies Response),
      );
  });
  process.on('disconnect', () => process.exit(0));
}

/** Child side: tells the orchestrator the child is up (with e.g. its port). */
export function ready(value?: unknown): void {
  process.send?.({ type: 'ready', value } satisfies Ready);
}

/** Child side: a fatal error before or after ready. */
export function failed(err: unknown): never {
  const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`${error}\n`);
  if (process.send) process.send({ type: 'failed', error } satisfies Failed, () => process.exit(1));
  else process.exit(1);
  // Keep the type checker happy; process.exit above ends it.
  throw new Error(error);
}

const live = new Set<Child>();

/** Kills every child still running (SIGKILL). Synchronous: safe in `process.on('exit')`. */
export function killAllChildren(): void {
  for (const c of live) c.kill();
}

export interface ChildOptions {
  readonly env?: Record<string, string>;
  readonly execArgv?: readonly string[];
  /** Print the child's output as it comes (default: keep the last lines for error reports). */
  readonly verbose?: boolean;
}

/** Orchestrator side: one child process running a compiled bench script. */
export class Child {
  readonly proc: ChildProcess;
  readonly ready: Promise<any>;
  readonly exited: Promise<number | null>;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private readonly tail: string[] = [];
  private exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    script: string,
    options: ChildOptions = {},
  ) {
    const path = join(dirname(fileURLToPath(import.meta.url)), script);
    this.proc = fork(path, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...options.env },
      execArgv: [...(options.execArgv ?? [])],
    });
    live.add(this);
    for (const stream of [this.proc.stdout!, this.proc.stderr!]) {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (options.verbose) process.stderr.write(`[${this.name}] ${line}\n`);
          this.tail.push(line);
          if (this.tail.length > 40) this.tail.shift();
        }
      });
    }
    let onReady!: (v: any) => void;
    let onReadyFail!: (e: Error) => void;
    this.ready = new Promise((res, rej) => {
      onReady = res;
      onReadyFail = rej;
    });
    this.ready.catch(() => undefined);
    this.proc.on('message', (m: FromChild) => {
      if (m.type === 'ready') onReady(m.value);
      else if (m.type === 'failed') onReadyFail(new Error(`${this.name} failed: ${m.error}`));
      else if (m.type === 'res') {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.value);
        else p.reject(new Error(`${this.name}: ${m.error}`));
      }
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exitCode = code;
        live.delete(this);
        const err = new Error(`${this.name} exited (code ${code}${signal ? `, ${signal}` : ''})${this.describeTail()}`);
        onReadyFail(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        resolve(code);
      });
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Sends a request; rejects on the child's error, its exit, or after `timeoutMs`. */
  request<T = any>(op: string, args?: unknown, timeoutMs = 60_000): Promise<T> {
    if (this.exitCode !== undefined) return Promise.reject(new Error(`${this.name} is not running`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${op} timed out after ${timeoutMs} ms${this.describeTail()}`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.send({ type: 'req', id, op, args } satisfies Request);
    });
  }

  /** Asks the child to exit (so `--cpu-prof` gets written), then kills it if it does not within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.request('exit', undefined, graceMs).catch(() => undefined);
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.exitCode === undefined && this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }

  private describeTail(): string {
    return this.tail.length ? `\n  last output of ${this.name}:\n    ${this.tail.slice(-15).join('\n    ')}` : '';
  }
}
