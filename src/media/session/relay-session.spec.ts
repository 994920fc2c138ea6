import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { WebSocketServer, type WebSocket } from 'ws';
import { CallsService } from '../../calls/calls.service.js';
import { InMemoryCallStore } from '../../calls/in-memory-call-store.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import type { CallControl } from '../../twilio/call-control.port.js';
import type {
  AudioEvent,
  AudioProcessor,
  AudioStream,
  AudioStreamOptions,
  AudioStreamStats,
} from '../audio/audio-processor.interface.js';
import { resolveMediaOptions } from '../media.options.js';
import { RelaySession } from './relay-session.js';

/** An audio processor whose speech events the test decides. */
class ScriptedAudioProcessor implements AudioProcessor {
  onEvent: ((e: AudioEvent) => void) | undefined;
  readonly stats: AudioStreamStats = {
    framesIn: 0,
    framesReordered: 0,
    framesLate: 0,
    framesDuplicate: 0,
    framesMissing: 0,
    modelWindows: 0,
    gatedWindows: 0,
  };
  open(options: AudioStreamOptions): AudioStream {
    this.onEvent = options.onEvent;
    return { push: () => {}, end: () => {}, close: () => {}, stats: this.stats };
  }
  callerStarts(at = 0): void {
    this.onEvent?.({ type: 'speech.started', track: 'inbound', at, detectedAt: at });
  }
  callerStops(at = 0): void {
    this.onEvent?.({ type: 'speech.stopped', track: 'inbound', at, detectedAt: at });
  }
}

/** Twilio's side of the media socket: records what the relay sends it. */
class FakeTwilioSocket {
  readonly OPEN = 1;
  readonly CONNECTING = 0;
  readyState = 1;
  readonly sent: { event: string; mark?: { name: string } }[] = [];
  send(json: string): void {
    this.sent.push(JSON.parse(json) as { event: string; mark?: { name: string } });
  }
  close(): void {
    this.readyState = 3;
  }
  of(event: string) {
    return this.sent.filter((f) => f.event === event);
  }
}

/** `ms` of mu-law silence as a Twilio media payload. */
const payload = (ms: number) => Buffer.alloc(ms * 8, 0xff).toString('base64');

async function until(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

describe(RelaySession.name, () => {
  let server: WebSocketServer;
  let agent: WebSocket;
  let twilioSide: FakeTwilioSocket;
  let audio: ScriptedAudioProcessor;
  let session: RelaySession;
  let metrics: MetricsService;

  beforeEach(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    twilioSide = new FakeTwilioSocket();
    audio = new ScriptedAudioProcessor();
    session = new RelaySession(twilioSide as unknown as WebSocket, {
      options: resolveMediaOptions({ mode: 'relay', agentStreamUrl: url }),
      calls: new CallsService(new InMemoryCallStore()),
      metrics: (metrics = new MetricsService()),
      events: new EventEmitter2(),
      audio,
      logger: new Logger('RelaySessionSpec'),
      callControl: {} as CallControl,
    });
    const connected = once(server, 'connection') as Promise<[WebSocket]>;
    session.receive({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    session.receive({
      event: 'start',
      sequenceNumber: 1,
      streamSid: 'MZtest',
      start: {
        accountSid: 'AC1',
        streamSid: 'MZtest',
        callSid: 'CA1',
        tracks: ['inbound'],
        customParameters: {},
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
    [agent] = await connected;
  });

  afterEach(async () => {
    await session.finish('test over');
    for (const c of server.clients) c.terminate();
    await new Promise((resolve) => server.close(resolve));
  });

  const agentSays = async (ms: number) => {
    const before = twilioSide.of('media').length;
    agent.send(JSON.stringify({ event: 'media', streamSid: 'MZup', media: { payload: payload(ms) } }));
    await until(() => twilioSide.of('media').length > before, 'agent audio at Twilio');
  };
  const twilioEchoes = (name: string) =>
    session.receive({ event: 'mark', sequenceNumber: 9, streamSid: 'MZtest', mark: { name } });
  const ownMark = async (n: number) => {
    await until(() => twilioSide.of('mark').length >= n, `mark ${n}`);
    return twilioSide.of('mark')[n - 1]!.mark!.name;
  };

  it('clears Twilio when the caller speaks while a mark sent after agent audio is unechoed', async () => {
    await agentSays(20);
    await ownMark(1);
    audio.callerStarts();
    expect(twilioSide.of('clear')).toHaveLength(1);
  });

  it('does not clear when every mark came back and nothing was sent since: the agent is done talking', async () => {
    await agentSays(20);
    twilioEchoes(await ownMark(1));
    audio.callerStarts();
    expect(twilioSide.of('clear')).toHaveLength(0);
  });

  it('sends at most one mark per 200 ms, and its playout clock covers the audio sent in between', async () => {
    await agentSays(20);
    twilioEchoes(await ownMark(1));
    // A second of agent audio right after the first mark: the next mark waits for its 200 ms turn.
    await agentSays(1000);
    expect(twilioSide.of('mark')).toHaveLength(1);
    audio.callerStarts();
    expect(twilioSide.of('clear')).toHaveLength(1);
    audio.callerStops();
    await sleep(250);
    expect(twilioSide.of('mark')).toHaveLength(1); // cleared: the pending mark went with the queue
  });

  it("adds the stream's analysis counters to the metrics when it ends, windows the model had to skip included", async () => {
    Object.assign(audio.stats, { modelWindows: 40, gatedWindows: 60, modelSkippedWindows: 7 });
    await session.finish('stop');
    const text = await metrics.registry.metrics();
    expect(text).toContain('callbridge_vad_windows_total{judged_by="model"} 40');
    expect(text).toContain('callbridge_vad_windows_total{judged_by="first_stage"} 60');
    expect(text).toContain('callbridge_vad_model_skipped_windows_total 7');
  });

  it('does not clear for a short reply sent after the last mark once its playout time has passed', async () => {
    await agentSays(20);
    twilioEchoes(await ownMark(1));
    await agentSays(20); // mark held back by the 200 ms throttle; 20 ms of audio plays long before that
    await sleep(90);
    expect(twilioSide.of('mark')).toHaveLength(1);
    audio.callerStarts();
    expect(twilioSide.of('clear')).toHaveLength(0);
  });
});
