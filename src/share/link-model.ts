// The model a playground link names, checked as hostile input before anything can fetch it: a hub
// id pinned to a commit (org/name@<40 hex>[:file.gguf]) or a .gguf URL, as parseModelSource reads
// them (https, or http to a loopback host only), bounded in length, and, for a URL, on a host the
// page's Content-Security-Policy lets it connect to. The shipped model travels as settings.modelId.

import { hostAllowed, MAX_MODEL_SOURCE_CHARS, notAllowedMessage, parseModelSource } from '../model/source-spec.ts';

export { hostAllowed };

/**
 * Checks a link's model field. `hosts` are the connect-src origins (absent: not checked, as where
 * no page builds the link, in tests of the codec alone).
 */
export function validateLinkModel(input: unknown, hosts?: readonly string[]): { ok: true; value: string } | { ok: false; errors: string[] } {
  const fail = (why: string) => ({ ok: false as const, errors: [`model: ${why}`] });
  if (typeof input !== 'string') return fail('must be text');
  if (input.length > MAX_MODEL_SOURCE_CHARS) return fail(`${input.length} characters, over the ${MAX_MODEL_SOURCE_CHARS}-character limit`);
  const shown = JSON.stringify(input.slice(0, 80));
  let spec;
  try {
    spec = parseModelSource(input);
  } catch (err) {
    // parseModelSource's message names the input and the accepted forms; the first clause is enough here.
    return fail(`${shown} is not a model source (${(err as Error).message.replace(/^model source .*?: /s, '').replace(/\. Accepted: .*$/s, '')})`);
  }
  if (spec.kind === 'hub') {
    if (spec.revision === undefined || !/^[0-9a-f]{40}$/.test(spec.revision)) return fail(`${shown} is not pinned to a commit (org/name@<40-hex sha>)`);
    return { ok: true, value: input.trim() };
  }
  if (spec.kind !== 'url') return fail(`${shown} is a local path; a link can only name a hub id or a URL`);
  const url = new URL(spec.url);
  if (hosts && !hosts.some((h) => hostAllowed(url, h))) return fail(notAllowedMessage(url));
  return { ok: true, value: spec.url };
}
