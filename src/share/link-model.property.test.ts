// A link's model field: what the codec carries, and what it refuses. A model named by a link is
// fetched only after the user agrees, but the field is still hostile input: it must parse as a
// pinned hub id or a .gguf URL on a host the page's CSP allows, be bounded, and never throw.
import fc from 'fast-check';
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { FUZZ, FUZZ_TIMEOUT_MS, settingsArb } from '../testing/arbitraries.ts';
import { DEFAULT_SETTINGS } from '../settings.ts';
import { MAX_MODEL_SOURCE_CHARS } from '../model/source-spec.ts';
import { encodeBase64Url } from './base64url.ts';
import { decodeShareHash, encodeShareHash } from './link-codec.ts';
import { hostAllowed, validateLinkModel } from './link-model.ts';
import type { ShareState } from './share-state.ts';

const HOSTS = ['https://huggingface.co', 'https://*.cdn.hf.co', 'http://127.0.0.1:4179'];
const SHA = 'a'.repeat(40);
const base: ShareState = { text: 'x', language: 'typescript', selections: [{ anchorLine: 1, anchorColumn: 1, activeLine: 1, activeColumn: 1 }], settings: DEFAULT_SETTINGS };
const hashOf = (state: ShareState) => {
  const encoded = encodeShareHash(state);
  if (!encoded.ok) throw new Error(encoded.message);
  return encoded.hash;
};
const packJson = (json: unknown) => `#v1.${encodeBase64Url(deflateSync(new TextEncoder().encode(JSON.stringify(json))))}`;
const wire = (model: unknown) => ({ text: 'x', language: 'typescript', selections: [[1, 1, 1, 1]], settings: DEFAULT_SETTINGS, model });

const namePart = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/).filter((s) => !/\.gguf$/i.test(s));
const pinnedHubArb = fc.tuple(namePart, namePart, fc.stringMatching(/^[0-9a-f]{40}$/), fc.option(fc.stringMatching(/^[a-z0-9_-]{1,12}\.gguf$/), { nil: undefined }))
  .map(([org, name, sha, file]) => `${org}/${name}@${sha}${file !== undefined ? `:${file}` : ''}`);
const allowedUrlArb = fc.tuple(fc.constantFrom('https://huggingface.co', 'https://us.cdn.hf.co', 'http://127.0.0.1:4179'), fc.stringMatching(/^[a-z0-9_-]{1,12}$/))
  .map(([origin, name]) => `${origin}/m/${name}.gguf`);

describe('a link carries its model', () => {
  it('a pinned hub id or an allowed .gguf URL round-trips through the codec', () => {
    fc.assert(fc.property(settingsArb, fc.oneof(pinnedHubArb, allowedUrlArb), (settings, model) => {
      const state = { ...base, settings, model };
      const decoded = decodeShareHash(hashOf(state), { modelHosts: HOSTS });
      expect(decoded).toEqual({ ok: true, state });
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it('a link without a model decodes with none (older links are unchanged)', () => {
    const decoded = decodeShareHash(hashOf(base), { modelHosts: HOSTS });
    expect(decoded.ok && decoded.state.model).toBe(undefined);
  });

  it('any value in the model field gives a result, never an exception; what passes is a pinned hub id or an allowed URL', () => {
    const anyValue = fc.oneof(
      fc.string({ maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 60 }), pinnedHubArb, allowedUrlArb,
      fc.webUrl({ withQueryParameters: true, withFragments: true }).map((u) => `${u}/x.gguf`),
      fc.jsonValue({ maxDepth: 2 }),
    );
    fc.assert(fc.property(anyValue, (model) => {
      const decoded = decodeShareHash(packJson(wire(model)), { modelHosts: HOSTS });
      if (!decoded.ok) {
        expect(decoded.kind).toBe('invalid');
        expect(decoded.message).toMatch(/model: .*\. Nothing from it was opened\.$/s);
        return;
      }
      const carried = decoded.state.model!;
      const pinned = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*@[0-9a-f]{40}(:[^:\s]+\.gguf)?$/i.test(carried);
      const allowed = /^https?:/.test(carried) && HOSTS.some((h) => hostAllowed(new URL(carried), h));
      expect(pinned || allowed).toBe(true);
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it.each([
    ['an unpinned hub id', 'Qwen/Qwen2.5-Coder-0.5B', /not pinned to a commit/],
    ['a branch instead of a commit', `Qwen/Qwen2.5-Coder-0.5B@main`, /not pinned to a commit/],
    ['http to a non-loopback host', 'http://models.example.com/m.gguf', /must be https/],
    ['a host the CSP does not allow', 'https://evil.example.com/m.gguf', /evil\.example\.com is not a host this page may download models from/],
    ['a look-alike of an allowed wildcard', 'https://cdn.hf.co.evil.example/m.gguf', /is not a host this page may download models from/],
    ['a local path', '/etc/passwd.gguf', /local path/],
    ['credentials in the URL', 'https://user:pw@huggingface.co/m.gguf', /credentials/],
    ['a huge string', `org/name@${SHA}:${'a'.repeat(MAX_MODEL_SOURCE_CHARS)}.gguf`, /over the 2048-character limit/],
    ['not text', 42, /model: must be text/],
  ])('refuses %s, saying why', (_what, model, why) => {
    const decoded = decodeShareHash(packJson(wire(model)), { modelHosts: HOSTS });
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.message).toMatch(why);
  });

  it('hostAllowed matches an origin exactly, and a wildcard only on a subdomain of the same scheme and default port', () => {
    expect(hostAllowed(new URL('https://huggingface.co/x'), 'https://huggingface.co')).toBe(true);
    expect(hostAllowed(new URL('https://huggingface.co:444/x'), 'https://huggingface.co')).toBe(false);
    expect(hostAllowed(new URL('https://us.cdn.hf.co/x'), 'https://*.cdn.hf.co')).toBe(true);
    expect(hostAllowed(new URL('https://cdn.hf.co/x'), 'https://*.cdn.hf.co')).toBe(false);
    expect(hostAllowed(new URL('http://us.cdn.hf.co/x'), 'https://*.cdn.hf.co')).toBe(false);
    expect(validateLinkModel(`org/name@${SHA}`)).toEqual({ ok: true, value: `org/name@${SHA}` });
  });
});
