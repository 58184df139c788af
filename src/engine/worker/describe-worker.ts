// A short-lived worker that looks a remote model up (describeRemoteModel): the hub's listing and the
// weight headers. Parsing a large GGUF header (Qwen2.5's 151,936-token vocabulary and its merges) and
// checking its tokenizer take hundreds of milliseconds of CPU, which must not block the page. One
// request per worker: the page terminates it when the answer comes or the lookup is cancelled.
import { QUANTIZE_FORMATS, type QuantizeFormat } from '../api/gpu-options.ts';
import { describeRemoteModel, type DescribeOptions } from '../remote-model.ts';

export interface DescribeRequest { source: string; hubEndpoint?: string; allowedHosts?: string[]; quantizeFloats?: QuantizeFormat }
export type DescribeReply = { ok: true; info: Awaited<ReturnType<typeof describeRemoteModel>> } | { ok: false; message: string };

const scope = self as unknown as { onmessage: ((e: MessageEvent<unknown>) => void) | null; postMessage(reply: DescribeReply): void };

scope.onmessage = (event) => {
  const data = event.data as Partial<DescribeRequest> | null;
  const reply = (r: DescribeReply) => scope.postMessage(r);
  const hosts = data?.allowedHosts;
  if (typeof data?.source !== 'string' || (data.hubEndpoint !== undefined && typeof data.hubEndpoint !== 'string')
    || (hosts !== undefined && !(Array.isArray(hosts) && hosts.every((h) => typeof h === 'string')))
    || (data.quantizeFloats !== undefined && !QUANTIZE_FORMATS.includes(data.quantizeFloats))) {
    reply({ ok: false, message: 'describe worker: the request must be { source, hubEndpoint?, allowedHosts?, quantizeFloats? }' });
    return;
  }
  const options: DescribeOptions = {
    ...(data.hubEndpoint !== undefined ? { hubEndpoint: data.hubEndpoint } : {}), ...(hosts ? { allowedHosts: hosts } : {}),
    ...(data.quantizeFloats !== undefined ? { quantizeFloats: data.quantizeFloats } : {}),
  };
  describeRemoteModel(data.source, options).then(
    (info) => reply({ ok: true, info }),
    (err: unknown) => reply({ ok: false, message: err instanceof Error ? err.message : String(err) }),
  );
};
