import type { CallPage, CallRecord } from './call-record.js';
import type { CallStore } from './call-store.interface.js';

interface Entry {
  readonly seq: number;
  record: CallRecord;
}

/**
 * The default {@link CallStore}: records live in this process, the oldest evicted past `maxRecords`.
 * Good for one instance and for tests; records are lost on restart.
 *
 * Records go in and out as copies, as they would through a database, so no caller can change stored state by
 * holding on to an object.
 */
export class InMemoryCallStore implements CallStore {
  private readonly bySid = new Map<string, Entry>();
  private readonly sidByRetellId = new Map<string, string>();
  private seq = 0;

  constructor(private readonly maxRecords = 10_000) {}

  async insert(record: CallRecord): Promise<{ record: CallRecord; created: boolean }> {
    const existing = this.bySid.get(record.callSid);
    if (existing) return { record: structuredClone(existing.record), created: false };
    const stored = structuredClone(record);
    this.bySid.set(record.callSid, { seq: ++this.seq, record: stored });
    this.index(stored);
    this.evict();
    return { record: structuredClone(stored), created: true };
  }

  async get(callSid: string): Promise<CallRecord | undefined> {
    const entry = this.bySid.get(callSid);
    return entry && structuredClone(entry.record);
  }

  async findByRetellCallId(retellCallId: string): Promise<CallRecord | undefined> {
    const sid = this.sidByRetellId.get(retellCallId);
    return sid === undefined ? undefined : this.get(sid);
  }

  async update(callSid: string, change: (draft: CallRecord) => boolean | void): Promise<CallRecord | undefined> {
    const entry = this.bySid.get(callSid);
    if (!entry) return undefined;
    const draft = structuredClone(entry.record);
    // Nothing is awaited between read and write: in one process this is atomic.
    if (change(draft) === false) return structuredClone(entry.record);
    entry.record = draft;
    this.index(draft);
    return structuredClone(draft);
  }

  async list(query: { readonly limit: number; readonly cursor?: string }): Promise<CallPage> {
    const before = query.cursor === undefined ? Infinity : Number.parseInt(query.cursor, 36);
    const newestFirst = [...this.bySid.values()].reverse().filter((e) => e.seq < before);
    const page = newestFirst.slice(0, query.limit);
    const more = newestFirst.length > page.length;
    return {
      items: page.map((e) => structuredClone(e.record)),
      nextCursor: more && page.length ? page[page.length - 1]!.seq.toString(36) : undefined,
    };
  }

  private index(record: CallRecord): void {
    if (record.retellCallId) this.sidByRetellId.set(record.retellCallId, record.callSid);
  }

  private evict(): void {
    while (this.bySid.size > this.maxRecords) {
      const oldest = this.bySid.keys().next().value as string;
      const retellId = this.bySid.get(oldest)?.record.retellCallId;
      if (retellId) this.sidByRetellId.delete(retellId);
      this.bySid.delete(oldest);
    }
  }
}
