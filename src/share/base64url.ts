// Base64url (RFC 4648 §5, no padding) for bytes, strict on decode: links are user input, so
// anything outside the alphabet, or a length no encoder produces, is an error rather than
// something to guess around.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUES: ReadonlyMap<string, number> = new Map([...ALPHABET].map((ch, i) => [ch, i]));

export function encodeBase64Url(bytes: Uint8Array): string {
  const out: string[] = [];
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out.push(ALPHABET[n >> 18]!, ALPHABET[(n >> 12) & 63]!, ALPHABET[(n >> 6) & 63]!, ALPHABET[n & 63]!);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out.push(ALPHABET[n >> 18]!, ALPHABET[(n >> 12) & 63]!);
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out.push(ALPHABET[n >> 18]!, ALPHABET[(n >> 12) & 63]!, ALPHABET[(n >> 6) & 63]!);
  }
  return out.join('');
}

export class Base64UrlError extends Error {}

export function decodeBase64Url(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new Base64UrlError('length is not a valid base64url length');
  const bytes = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let bitCount = 0;
  let o = 0;
  for (const ch of text) {
    const value = VALUES.get(ch);
    if (value === undefined) throw new Base64UrlError('contains characters outside base64url');
    bits = ((bits << 6) | value) & 0xffffff;
    bitCount += 6;
    if (bitCount >= 8) {
      bitCount -= 8;
      bytes[o++] = (bits >> bitCount) & 0xff;
    }
  }
  return bytes;
}
