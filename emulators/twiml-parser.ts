/**
 * Parses a TwiML `<Response>` into its verbs, in document order (fast-xml-parser's `preserveOrder` mode: the plain
 * object mode would merge same-named siblings and lose the order between verbs).
 */
import { XMLParser } from 'fast-xml-parser';

/** `<Stream>` inside `<Start>` or `<Connect>`. */
export interface TwimlStream {
  readonly url: string;
  readonly name?: string;
  /** `inbound_track` (default), `outbound_track`, `both_tracks`. Ignored in `<Connect>` (inbound only). */
  readonly track: 'inbound_track' | 'outbound_track' | 'both_tracks';
  readonly statusCallback?: string;
  readonly statusCallbackMethod: 'GET' | 'POST';
  /** `<Parameter name value>` children, received by the server in `start.customParameters`. */
  readonly parameters: Readonly<Record<string, string>>;
}

/** Who or what `<Dial>` calls. */
export type DialTarget =
  | { readonly kind: 'sip'; readonly uri: string }
  | { readonly kind: 'number'; readonly number: string }
  | { readonly kind: 'other'; readonly noun: string; readonly value: string };

/** One TwiML verb, with the attributes the emulator acts on (all attributes are kept in `attrs`). */
export type TwimlVerb =
  | { readonly verb: 'Say'; readonly text: string; readonly attrs: Attrs }
  | { readonly verb: 'Play'; readonly url: string; readonly attrs: Attrs }
  | { readonly verb: 'Pause'; readonly lengthSec: number; readonly attrs: Attrs }
  | { readonly verb: 'Hangup'; readonly attrs: Attrs }
  | { readonly verb: 'Reject'; readonly reason: string; readonly attrs: Attrs }
  | { readonly verb: 'Redirect'; readonly url: string; readonly method: 'GET' | 'POST'; readonly attrs: Attrs }
  | { readonly verb: 'Start'; readonly streams: readonly TwimlStream[]; readonly attrs: Attrs }
  | { readonly verb: 'Stop'; readonly streamNames: readonly (string | undefined)[]; readonly attrs: Attrs }
  | {
      readonly verb: 'Connect';
      readonly stream?: TwimlStream;
      readonly action?: string;
      readonly method: 'GET' | 'POST';
      readonly attrs: Attrs;
    }
  | {
      readonly verb: 'Dial';
      readonly targets: readonly DialTarget[];
      readonly action?: string;
      readonly method: 'GET' | 'POST';
      readonly answerOnBridge: boolean;
      readonly callerId?: string;
      readonly attrs: Attrs;
    }
  | { readonly verb: 'Unsupported'; readonly name: string; readonly attrs: Attrs };

export type Attrs = Readonly<Record<string, string>>;

/** Result of {@link parseTwiml}; `error` is Twilio's 12100 "Document parse failure" case. */
export type ParsedTwiml =
  { readonly ok: true; readonly verbs: readonly TwimlVerb[] } | { readonly ok: false; readonly error: string };

/** A node of fast-xml-parser's ordered output: `{ TagName: children[], ':@'?: attributes }` or `{ '#text': string }`. */
type OrderedNode = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
});

function tagOf(node: OrderedNode): string | undefined {
  return Object.keys(node).find((k) => k !== ':@');
}

function attrsOf(node: OrderedNode): Attrs {
  const a = node[':@'];
  if (typeof a !== 'object' || a === null) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a as Record<string, unknown>)) out[k] = String(v);
  return out;
}

function childrenOf(node: OrderedNode, tag: string): OrderedNode[] {
  const c = node[tag];
  return Array.isArray(c) ? (c as OrderedNode[]) : [];
}

function textOf(node: OrderedNode, tag: string): string {
  return childrenOf(node, tag)
    .map((c) => (typeof c['#text'] === 'string' || typeof c['#text'] === 'number' ? String(c['#text']) : ''))
    .join('')
    .trim();
}

function method(v: string | undefined): 'GET' | 'POST' {
  return v?.toUpperCase() === 'GET' ? 'GET' : 'POST';
}

function stream(node: OrderedNode): TwimlStream {
  const a = attrsOf(node);
  const parameters: Record<string, string> = {};
  for (const p of childrenOf(node, 'Stream')) {
    if (tagOf(p) !== 'Parameter') continue;
    const pa = attrsOf(p);
    if (pa.name !== undefined) parameters[pa.name] = pa.value ?? '';
  }
  const track = a.track === 'outbound_track' || a.track === 'both_tracks' ? a.track : 'inbound_track';
  return {
    url: a.url ?? '',
    name: a.name,
    track,
    statusCallback: a.statusCallback,
    statusCallbackMethod: method(a.statusCallbackMethod),
    parameters,
  };
}

function dialTargets(node: OrderedNode): DialTarget[] {
  const out: DialTarget[] = [];
  for (const c of childrenOf(node, 'Dial')) {
    const tag = tagOf(c);
    if (!tag) continue;
    if (tag === '#text') {
      const v = String(c['#text']).trim();
      if (v) out.push(v.toLowerCase().startsWith('sip:') ? { kind: 'sip', uri: v } : { kind: 'number', number: v });
    } else if (tag === 'Sip') out.push({ kind: 'sip', uri: textOf(c, tag) });
    else if (tag === 'Number') out.push({ kind: 'number', number: textOf(c, tag) });
    else out.push({ kind: 'other', noun: tag, value: textOf(c, tag) });
  }
  return out;
}

function verb(node: OrderedNode): TwimlVerb | undefined {
  const name = tagOf(node);
  if (!name || name === '#text') return undefined;
  const attrs = attrsOf(node);
  switch (name) {
    case 'Say':
      return { verb: 'Say', text: textOf(node, name), attrs };
    case 'Play':
      return { verb: 'Play', url: textOf(node, name), attrs };
    case 'Pause':
      return { verb: 'Pause', lengthSec: Number(attrs.length ?? '1') || 1, attrs };
    case 'Hangup':
      return { verb: 'Hangup', attrs };
    case 'Reject':
      return { verb: 'Reject', reason: attrs.reason ?? 'rejected', attrs };
    case 'Redirect':
      return { verb: 'Redirect', url: textOf(node, name), method: method(attrs.method), attrs };
    case 'Start':
      return {
        verb: 'Start',
        streams: childrenOf(node, name)
          .filter((c) => tagOf(c) === 'Stream')
          .map(stream),
        attrs,
      };
    case 'Stop':
      return {
        verb: 'Stop',
        streamNames: childrenOf(node, name)
          .filter((c) => tagOf(c) === 'Stream')
          .map((c) => attrsOf(c).name),
        attrs,
      };
    case 'Connect': {
      const s = childrenOf(node, name).find((c) => tagOf(c) === 'Stream');
      return {
        verb: 'Connect',
        stream: s ? stream(s) : undefined,
        action: attrs.action,
        method: method(attrs.method),
        attrs,
      };
    }
    case 'Dial':
      return {
        verb: 'Dial',
        targets: dialTargets(node),
        action: attrs.action,
        method: method(attrs.method),
        answerOnBridge: attrs.answerOnBridge === 'true',
        callerId: attrs.callerId,
        attrs,
      };
    default:
      return { verb: 'Unsupported', name, attrs };
  }
}

/** Parses a TwiML document; never throws. */
export function parseTwiml(xml: string): ParsedTwiml {
  let doc: OrderedNode[];
  try {
    doc = parser.parse(xml) as OrderedNode[];
  } catch (err) {
    return { ok: false, error: `not XML: ${(err as Error).message}` };
  }
  if (!Array.isArray(doc)) return { ok: false, error: 'not XML' };
  const response = doc.find((n) => tagOf(n) === 'Response');
  if (!response) return { ok: false, error: 'no <Response> root element' };
  const verbs: TwimlVerb[] = [];
  for (const child of childrenOf(response, 'Response')) {
    const v = verb(child);
    if (v) verbs.push(v);
  }
  return { ok: true, verbs };
}

/** A one-line summary of a verb for the timeline. */
export function describeVerb(v: TwimlVerb): string {
  switch (v.verb) {
    case 'Say':
      return JSON.stringify(v.text.length > 60 ? v.text.slice(0, 57) + '…' : v.text);
    case 'Play':
      return v.url;
    case 'Pause':
      return `${v.lengthSec} s`;
    case 'Reject':
      return v.reason;
    case 'Redirect':
      return `${v.method} ${v.url}`;
    case 'Start':
      return v.streams.map((s) => `<Stream ${s.track}> ${s.url}`).join(', ');
    case 'Stop':
      return v.streamNames.map((n) => n ?? '(all)').join(', ');
    case 'Connect':
      return v.stream ? `<Stream> ${v.stream.url}` : '(no stream)';
    case 'Dial':
      return (
        v.targets
          .map((t) =>
            t.kind === 'sip'
              ? `<Sip> ${t.uri}`
              : t.kind === 'number'
                ? `<Number> ${t.number}`
                : `<${t.noun}> ${t.value}`,
          )
          .join(', ') +
        (v.action ? ` action=${v.action}` : '') +
        (v.answerOnBridge ? ' answerOnBridge' : '')
      );
    case 'Hangup':
      return '';
    case 'Unsupported':
      return `${v.name} (not emulated)`;
  }
}
