// What a remote model is before anything is downloaded, so the page can show its size and ask the
// user to confirm. Loaded on demand from the façade: it carries @huggingface/hub, which a page that
// never opens a remote model need not download.
import { downloadSize, openRemoteSource } from '../model/model-source.ts';

export interface RemoteModelInfo {
  /** The source as given (trimmed): what a load carries. */
  source: string;
  /** Where it resolved: org/name@<commit>[:file.gguf], or the URL. */
  label: string;
  layout: 'hf' | 'gguf';
  /** The GGUF file's name, for layout 'gguf'. */
  ggufFile?: string;
  /** Bytes a load downloads; undefined when the server does not say. */
  bytes?: number;
}

export interface DescribeOptions {
  /** The hub repo ids resolve against; default huggingface.co. */
  hubEndpoint?: string;
  signal?: AbortSignal;
}

/**
 * Resolves a hub id org/name[@revision][:file.gguf] or an https URL of a .gguf file: the hub is asked
 * for the commit and the file list, a URL gets a HEAD. Rejects with model-source.ts's reason (a bad
 * id, no such repository, an unreachable host).
 */
export async function describeRemoteModel(text: string, options: DescribeOptions = {}): Promise<RemoteModelInfo> {
  const source = text.trim();
  const opened = await openRemoteSource(source, {
    ...(options.hubEndpoint !== undefined ? { endpoint: options.hubEndpoint } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const bytes = await downloadSize(opened, { ...(opened.files ? {} : { url: opened.label }), ...(options.signal ? { signal: options.signal } : {}) });
  return {
    source, label: opened.label, layout: opened.layout,
    ...(opened.ggufFile !== undefined ? { ggufFile: opened.ggufFile } : {}),
    ...(bytes !== undefined ? { bytes } : {}),
  };
}
