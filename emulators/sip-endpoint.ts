/**
 * The contract between the Twilio emulator's `<Dial><Sip>` and whatever answers SIP (the Retell emulator). Twilio
 * only sees SIP outcomes: an answered leg that later ends, or a final failure code.
 */

/** One line the conversation produced, for the agent platform's transcript. */
export interface TranscriptLine {
  readonly role: 'agent' | 'user';
  readonly content: string;
  /** ms after the leg connected. */
  readonly atMs: number;
}

/** What Twilio knows when it dials a SIP URI. */
export interface SipDialRequest {
  /** e.g. `sip:call_abc@sip.retellai.com;transport=tcp`. */
  readonly uri: string;
  readonly accountSid: string;
  /** The parent (caller's) call. */
  readonly callSid: string;
  /** The SID of the dialled leg (`DialCallSid`). */
  readonly dialCallSid: string;
  readonly from: string;
  readonly to: string;
  /** The conversation the script plays, so the far end can report a transcript. */
  readonly transcript?: readonly TranscriptLine[];
  /** Post-call analysis the far end should report (Retell `call_analysis`). */
  readonly analysis?: Readonly<Record<string, unknown>>;
}

/** How a leg ended. */
export interface SipLegEnd {
  /** `remote`: the far end hung up; `local`: Twilio hung the leg up. */
  readonly by: 'remote' | 'local';
  /** Retell's `disconnection_reason` vocabulary (`user_hangup`, `agent_hangup`, …). */
  readonly reason: string;
}

/** An answered SIP leg. */
export interface SipLeg {
  /** The far end's id for the call (Retell `call_id`). */
  readonly remoteId: string;
  /** Resolves when the leg ends, whichever side ends it. */
  readonly ended: Promise<SipLegEnd>;
  /**
   * Ends the leg from Twilio's side. `reason` is what the far end will report: `user_hangup` (the caller hung up or
   * Twilio tore the leg down) or `agent_hangup` (the script has the agent end the conversation).
   */
  hangup(reason: string): void;
  /** Resolves once the far end has done its post-call work (Retell: `call_ended` and `call_analyzed` delivered). */
  readonly settled: Promise<void>;
}

/** Outcome of dialling. */
export type SipDialResult =
  | { readonly ok: true; readonly leg: SipLeg }
  | {
      readonly ok: false;
      readonly status: 'failed' | 'busy' | 'no-answer';
      readonly sipCode: number;
      readonly reason: string;
    };

/** Something `<Dial><Sip>` can reach. */
export interface SipEndpoint {
  /** Whether this endpoint serves `uri` (by domain). */
  handles(uri: string): boolean;
  dial(request: SipDialRequest): Promise<SipDialResult>;
}
