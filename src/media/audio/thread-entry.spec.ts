import { threadEntry } from './thread-entry.js';

describe(threadEntry.name, () => {
  it('names the file beside a built module', () => {
    expect(threadEntry('file:///app/dist/media/audio/a.processor.js', 'b.worker.js').href).toBe(
      'file:///app/dist/media/audio/b.worker.js',
    );
  });

  it('names the built copy in dist/ when the caller is a TypeScript source (under Jest)', () => {
    expect(threadEntry('file:///app/src/media/audio/a.processor.ts', 'b.worker.js').href).toBe(
      'file:///app/dist/media/audio/b.worker.js',
    );
  });
});
