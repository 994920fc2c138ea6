import { WebSocket } from 'ws';
import { parseServerFrame, type TwilioOutboundFrame } from '../../protocol/twilio-media.js';

/** What the upstream agent does, as the relay session needs to hear it. */
export interface AgentUpstreamHandlers {
  open(): void;
  frame(frame: TwilioOutboundFrame): void;
  /** A frame the agent sent that is not `media`/`mark`/`clear`: dropped. */
  rejected(reason: string): void;
  /** The socket is gone; `expected` when we closed it ourselves. */
  closed(info: { code: number; reason: string; expected: boolean }): void;
}

/**
 * The relay's socket to a raw-audio voice agent that speaks the Twilio Media Streams protocol from the server side.
 * One per call. Connecting is bounded by a timeout; closing is idempotent and releases the timer and the socket.
 */
export class AgentUpstream {
  private readonly ws: WebSocket;
  private connectTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private done = false;

  constructor(
    url: string,
    connectTimeoutMs: number,
    private readonly handlers: AgentUpstreamHandlers,
  ) {
    this.ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1024 * 1024 });
    this.connectTimer = setTimeout(() => {
      this.fail(1006, `no connection within ${connectTimeoutMs} ms`);
    }, connectTimeoutMs);
    this.ws.on('open', () => {
      clearTimeout(this.connectTimer);
      this.handlers.open();
    });
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return this.handlers.rejected('binary');
      const parsed = parseServerFrame(data);
      if (parsed.ok) this.handlers.frame(parsed.frame);
      else this.handlers.rejected(parsed.reason);
    });
    this.ws.on('error', (err) => this.fail(1006, err.message));
    this.ws.on('close', (code, reason) => this.finish(code, reason.toString()));
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a pre-serialised frame; dropped (returns false) when the socket is not open. */
  send(json: string): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(json);
    return true;
  }

  /** Closes on our side; the `closed` handler reports `expected: true`. */
  close(code = 1000, reason = 'call ended'): void {
    this.closing = true;
    clearTimeout(this.connectTimer);
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    else if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }

  private fail(code: number, reason: string): void {
    clearTimeout(this.connectTimer);
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    this.finish(code, reason);
  }

  private finish(code: number, reason: string): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.connectTimer);
    this.handlers.closed({ code, reason, expected: this.closing });
  }
}
