/**
 * Typed timeline of everything the emulators do for a call, so a test can assert on order and timing and the demo
 * can print a call's story. Every event carries wall-clock `at` (epoch ms) and, once it belongs to a call, `t`: ms
 * since that call started.
 */

/** Which emulator produced an event. */
export type TimelineSource = 'twilio' | 'retell' | 'agent';

/** What an HTTP request the emulators send is for. */
export type WebhookPurpose =
  | 'voice'
  | 'status'
  | 'dial-action'
  | 'connect-action'
  | 'redirect'
  | 'stream-status'
  | 'retell-webhook'
  | 'retell-function'
  | 'custom';

/** The payload of a timeline event, by kind. */
export type TimelineEventBody =
  | {
      readonly kind: 'call';
      readonly phase: 'created' | 'ringing' | 'answered' | 'ended';
      readonly status?: string;
      readonly detail?: string;
    }
  | {
      readonly kind: 'webhook';
      readonly phase: 'sent' | 'answered' | 'failed';
      readonly purpose: WebhookPurpose;
      readonly method: string;
      readonly url: string;
      readonly status?: number;
      readonly ms?: number;
      readonly error?: string;
      /** Status callbacks: the `CallStatus` and `SequenceNumber` carried. Retell: the event name. */
      readonly detail?: string;
    }
  | { readonly kind: 'twiml'; readonly verb: string; readonly detail?: string }
  | {
      readonly kind: 'stream';
      readonly phase: 'connecting' | 'opened' | 'started' | 'stopped' | 'closed' | 'error';
      readonly url: string;
      readonly mode: 'fork' | 'bidirectional';
      readonly streamSid?: string;
      readonly detail?: string;
    }
  | {
      readonly kind: 'media';
      readonly phase: 'mark' | 'mark-echo' | 'clear' | 'dtmf' | 'fault';
      readonly streamSid: string;
      readonly detail?: string;
    }
  | {
      readonly kind: 'sip';
      readonly phase: 'dialing' | 'connected' | 'failed' | 'ended';
      readonly uri: string;
      readonly sipCode?: number;
      readonly detail?: string;
    }
  | {
      readonly kind: 'retell';
      readonly phase: 'registered' | 'ongoing' | 'ended';
      readonly callId: string;
      readonly detail?: string;
    }
  | { readonly kind: 'rest'; readonly method: string; readonly path: string; readonly status: number }
  | { readonly kind: 'error'; readonly code?: number; readonly message: string };

/** One timeline event. */
export type TimelineEvent = TimelineEventBody & {
  readonly source: TimelineSource;
  /** Epoch ms. */
  readonly at: number;
  /** ms since the call started (absent for events that belong to no call). */
  readonly t?: number;
  /** The Twilio call the event belongs to, when known. */
  readonly callSid?: string;
};

/** Something that timeline events can be written to. */
export type TimelineSink = (event: TimelineEvent) => void;

/** One line per event, aligned, for the demo's console output. */
export function formatTimelineEvent(e: TimelineEvent): string {
  const t = e.t === undefined ? ' '.repeat(10) : `+${Math.round(e.t).toString().padStart(6)} ms`;
  return `${t}  ${e.source.padEnd(6)} ${describe(e)}`;
}

/** The whole timeline, one event a line. */
export function formatTimeline(events: readonly TimelineEvent[]): string {
  return events.map(formatTimelineEvent).join('\n');
}

function describe(e: TimelineEvent): string {
  const d = 'detail' in e && e.detail ? ` ${e.detail}` : '';
  switch (e.kind) {
    case 'call':
      return `call ${e.phase}${e.status ? ` (${e.status})` : ''}${d}`;
    case 'webhook': {
      const outcome =
        e.phase === 'sent'
          ? '…'
          : e.phase === 'answered'
            ? `→ ${e.status} in ${Math.round(e.ms ?? 0)} ms`
            : `✗ ${e.error}`;
      return `${e.purpose} ${e.method} ${e.url}${d} ${outcome}`;
    }
    case 'twiml':
      return `<${e.verb}>${d}`;
    case 'stream':
      return `stream ${e.mode} ${e.phase}${e.streamSid ? ` ${e.streamSid}` : ''} ${e.url}${d}`;
    case 'media':
      return `media ${e.phase}${d}`;
    case 'sip':
      return `sip ${e.phase} ${e.uri}${e.sipCode ? ` (${e.sipCode})` : ''}${d}`;
    case 'retell':
      return `retell call ${e.callId} ${e.phase}${d}`;
    case 'rest':
      return `REST ${e.method} ${e.path} → ${e.status}`;
    case 'error':
      return `error${e.code ? ` ${e.code}` : ''}: ${e.message}`;
  }
}
