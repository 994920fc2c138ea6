import { MetricsService } from './metrics.service.js';

describe(MetricsService.name, () => {
  it('counts media frames on the hot path and shows them, by event, when the registry is read', async () => {
    const metrics = new MetricsService();
    for (let i = 0; i < 3; i++) metrics.countMediaFrame('media');
    metrics.countMediaFrame('start');
    const text = await metrics.registry.metrics();
    expect(text).toContain('callbridge_media_frames_total{event="media"} 3');
    expect(text).toContain('callbridge_media_frames_total{event="start"} 1');
    // Folding is not double counting: a second read, with two more frames, adds only those.
    metrics.countMediaFrame('media');
    metrics.countMediaFrame('media');
    expect(await metrics.registry.metrics()).toContain('callbridge_media_frames_total{event="media"} 5');
    expect((await metrics.mediaFrames.get()).values.find((v) => v.labels.event === 'media')?.value).toBe(5);
  });
});
