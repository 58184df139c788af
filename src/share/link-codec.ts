// Playground links: `#v<version>.<payload>` where payload = base64url(deflate-raw(UTF-8(JSON))).
// fflate's raw deflate was measured against lz-string on real code (bench/share-compression.test.ts)
// and gives links 1.2–3x shorter, so it is the codec. Decoding treats the hash as hostile input:
// bounded size before and after inflation, strict base64url, one deflate stream with nothing after
// it, fatal UTF-8, bounded nesting, then a schema check. It is total: every input gives a result
// (ok, or an error kind with a message), never an exception, so a bad link can only be refused.

import { Inflate, deflateSync } from 'fflate';
import { Base64UrlError, decodeBase64Url, encodeBase64Url } from './base64url.ts';
import { selectionsToWire, validateShareWire, type ShareState, type ShareWireOptions } from './share-state.ts';

export const LINK_VERSION = 1;
/**
 * Longest hash we write or read. With the origin and path this keeps a link under 64 KiB, which
 * browsers, clipboards and most chat tools carry intact (Chromium allows 2 MB; others far less).
 */
export const MAX_HASH_CHARS = 60_000;
/** Largest decoded JSON payload (UTF-8 bytes) a link may inflate to: guards against deflate bombs. */
export const MAX_DECODED_BYTES = 1 << 20;

const PREFIX = `#v${LINK_VERSION}.`;
/** Input is fed to the inflater in slices so the decoded-size guard fires before memory balloons. */
const INFLATE_SLICE_BYTES = 1024;
/**
 * Deepest nesting of lists and objects a link may hold; links need 3 (payload, selections, one
 * selection). Checked on the bytes before JSON.parse, so no engine's parser or later code that
 * walks the value meets a deeply nested one.
 */
export const MAX_JSON_DEPTH = 8;

export type EncodeResult =
  | { ok: true; hash: string }
  | { ok: false; reason: 'too-big'; message: string; hashChars: number };

export type DecodeFailureKind = 'malformed' | 'truncated' | 'future-version' | 'oversized' | 'invalid';
export type DecodeResult =
  | { ok: true; state: ShareState }
  | { ok: false; kind: DecodeFailureKind; message: string };

export function encodeShareHash(state: ShareState): EncodeResult {
  const wire = {
    text: state.text,
    language: state.language,
    selections: selectionsToWire(state.selections),
    settings: state.settings,
    ...(state.model !== undefined ? { model: state.model } : {}),
  };
  const json = new TextEncoder().encode(JSON.stringify(wire));
  if (json.length > MAX_DECODED_BYTES) {
    return {
      ok: false, reason: 'too-big', hashChars: Number.NaN,
      message: `The document is too big for a link (${formatBytes(json.length)}; links carry at most ${formatBytes(MAX_DECODED_BYTES)} and ${MAX_HASH_CHARS.toLocaleString('en-US')} characters).`,
    };
  }
  const hash = PREFIX + encodeBase64Url(deflateSync(json, { level: 9 }));
  if (hash.length > MAX_HASH_CHARS) {
    return {
      ok: false, reason: 'too-big', hashChars: hash.length,
      message: `The document is too big for a link: it compresses to ${hash.length.toLocaleString('en-US')} characters, over the ${MAX_HASH_CHARS.toLocaleString('en-US')}-character limit.`,
    };
  }
  return { ok: true, hash };
}

const fail = (kind: DecodeFailureKind, detail: string): DecodeResult => ({
  ok: false, kind, message: `${DECODE_MESSAGES[kind]} (${detail}). Nothing from it was opened.`,
});

const DECODE_MESSAGES: Record<DecodeFailureKind, string> = {
  'malformed': "This isn't a valid Spark playground link",
  'truncated': 'This playground link is incomplete: it was probably cut off when it was copied',
  'future-version': 'This playground link was made by a newer version of Spark',
  'oversized': 'This playground link is over the size limit',
  'invalid': 'This playground link holds invalid data',
};

/** True when the hash is meant as a playground link at all (an empty hash is just no link). */
export function hasShareHash(hash: string): boolean {
  return hash.length > 1;
}

export function decodeShareHash(hash: string, options: ShareWireOptions = {}): DecodeResult {
  if (typeof hash !== 'string') return fail('malformed', 'it is not text');
  if (hash.length > MAX_HASH_CHARS) {
    return fail('oversized', `${hash.length.toLocaleString('en-US')} characters; the limit is ${MAX_HASH_CHARS.toLocaleString('en-US')}`);
  }
  const match = /^#?v(\d{1,6})\.(.*)$/s.exec(hash);
  if (!match) return fail('malformed', 'it should start with #v1.');
  const version = Number(match[1]);
  if (version > LINK_VERSION) return fail('future-version', `format v${version}; this page reads v${LINK_VERSION}`);
  if (version < 1) return fail('malformed', `unknown format v${version}`);

  let compressed: Uint8Array;
  const data = match[2]!;
  try {
    compressed = decodeBase64Url(data);
  } catch (err) {
    // A length no encoder makes, in data that otherwise decodes to a stream ending early, is a cut
    // through a character: the common way a link gets damaged (copied short), not a malformed one.
    if (data.length % 4 === 1 && endsEarly(data.slice(0, -1))) return fail('truncated', 'its data stops part way through a character');
    return fail('malformed', err instanceof Base64UrlError ? `its data ${err.message}` : 'its data is not base64url');
  }
  if (compressed.length === 0) return fail('truncated', 'it carries no data');

  const inflated = inflateBounded(compressed, MAX_DECODED_BYTES);
  if (!inflated.ok) {
    return inflated.reason === 'too-big'
      ? fail('oversized', `it expands to more than ${formatBytes(MAX_DECODED_BYTES)}`)
      : inflated.reason === 'eof'
        ? fail('truncated', 'the compressed data ends early')
        : fail('malformed', 'the compressed data is corrupt');
  }
  // fflate stops at the end of the deflate stream and ignores what follows. A stream that also
  // decodes without its last byte ended before that byte, so the link carries bytes nothing reads.
  if (compressed.length > 1 && inflateBounded(compressed.subarray(0, compressed.length - 1), MAX_DECODED_BYTES).ok) {
    return fail('malformed', 'it has extra data after the end of the compressed data');
  }
  if (nestingExceeds(inflated.bytes, MAX_JSON_DEPTH)) {
    return fail('invalid', `its data is nested more than ${MAX_JSON_DEPTH} levels deep`);
  }

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(inflated.bytes));
  } catch {
    return fail('malformed', 'its data is not valid JSON text');
  }
  const state = validateShareWire(json, options);
  if (!state.ok) return fail('invalid', state.errors.slice(0, 3).join('; '));
  return { ok: true, state: state.value };
}

/** True when `text` is base64url whose bytes are a deflate stream cut short. */
function endsEarly(text: string): boolean {
  if (text === '') return true; // nothing but the cut character
  try {
    const inflated = inflateBounded(decodeBase64Url(text), MAX_DECODED_BYTES);
    return !inflated.ok && inflated.reason === 'eof';
  } catch {
    return false;
  }
}

/** True when JSON text nests lists/objects deeper than `max` (brackets inside strings don't count). */
function nestingExceeds(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === 0x5c) i++; // backslash: the next byte is escaped (UTF-8 continuation bytes are >= 0x80)
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > max) return true;
    } else if (byte === 0x5d || byte === 0x7d) {
      depth--;
    }
  }
  return false;
}

type InflateResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: 'too-big' | 'eof' | 'corrupt' };

class OverLimit extends Error {}

function inflateBounded(compressed: Uint8Array, limit: number): InflateResult {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflater = new Inflate((chunk) => {
    total += chunk.length;
    if (total > limit) throw new OverLimit();
    chunks.push(chunk);
  });
  try {
    for (let offset = 0; offset < compressed.length; offset += INFLATE_SLICE_BYTES) {
      const end = Math.min(offset + INFLATE_SLICE_BYTES, compressed.length);
      inflater.push(compressed.subarray(offset, end), end === compressed.length);
    }
  } catch (err) {
    if (err instanceof OverLimit) return { ok: false, reason: 'too-big' };
    // fflate reports "unexpected EOF" as error code 0.
    const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
    return { ok: false, reason: code === 0 ? 'eof' : 'corrupt' };
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { ok: true, bytes };
}

function formatBytes(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}
