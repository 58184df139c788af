// The download line's wording: bytes of total, speed, time left.
import { describe, expect, it } from 'vitest';
import { downloadText, formatDuration } from './download-bar.ts';

describe('download bar text', () => {
  it.each([[0, '0 s'], [42.4, '42 s'], [185, '3 min 5 s'], [3720, '1 h 2 min']])('%d seconds: %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('says bytes of total, speed and time left; leaves out what is unknown', () => {
    expect(downloadText({ file: 'm.gguf', loadedBytes: 3 << 20, totalBytes: 400 << 20, bytesPerSecond: 5 << 20, etaSeconds: 79.4 }))
      .toBe('Downloading m.gguf: 3.0 MiB of 400 MiB · 5.0 MiB/s · 1 min 19 s left');
    expect(downloadText({ file: 'm.gguf', loadedBytes: 512 })).toBe('Downloading m.gguf: 512 B');
  });
});
