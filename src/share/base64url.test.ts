import { describe, expect, it } from 'vitest';
import { Base64UrlError, decodeBase64Url, encodeBase64Url } from './base64url.ts';

describe('base64url', () => {
  it('matches Node\'s encoder and round-trips every length mod 3', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n * 31) & 0xff);
      const encoded = encodeBase64Url(bytes);
      expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
      expect(decodeBase64Url(encoded)).toEqual(bytes);
    }
  });

  it('rejects characters outside the alphabet and impossible lengths', () => {
    for (const bad of ['ab+c', 'ab/c', 'abc=', 'a b', 'é', 'A', 'AAAAA']) {
      expect(() => decodeBase64Url(bad), bad).toThrow(Base64UrlError);
    }
  });
});
