import { ModuleOptionsError } from '../common/module-options.js';
import { resolveMediaOptions } from './media.options.js';

const options = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ModuleOptionsError) return err.options.sort();
    throw err;
  }
  return [];
};

describe(resolveMediaOptions.name, () => {
  it('defaults to fork mode, the default processor, 64 KiB frames and 1 MiB socket messages', () => {
    expect(resolveMediaOptions()).toEqual({
      mode: 'fork',
      maxFrameBytes: 64 * 1024,
      maxSocketPayloadBytes: 1024 * 1024,
      maxFramesPerSecond: 250,
      floodCloseAfterMs: 3000,
      deadAirThresholdMs: 2000,
      analyticsFlushMs: 2000,
      upstreamConnectTimeoutMs: 3000,
    });
  });

  it('names every bad option, rules across options included, even when other options are bad too', () => {
    expect(
      options(() =>
        resolveMediaOptions({
          mode: 'relay',
          audioProcessor: { open: () => ({}) } as never,
          audioProcessorOptions: { threadPriority: 'idle' },
          maxFrameBytes: 4096,
          maxSocketPayloadBytes: 1024,
          deadAirThresholdMs: 0,
        }),
      ),
    ).toEqual(['agentStreamUrl', 'audioProcessorOptions', 'deadAirThresholdMs', 'maxSocketPayloadBytes']);
    expect(options(() => resolveMediaOptions({ mode: 'relay', agentStreamUrl: 'http://agent' }))).toEqual([
      'agentStreamUrl',
    ]);
    expect(options(() => resolveMediaOptions({ mode: 'relay', agentStreamUrl: 'wss://agent.example/a' }))).toEqual([]);
  });
});
