import { describe, expect, it } from 'vitest';
import { localModel } from './local-files.ts';

const named = (...names: string[]) => names.map((name) => ({ name }));

describe('localModel: what chosen or dropped files are', () => {
  it('one .gguf file', () => {
    expect(localModel(named('qwen2.5-coder-0.5b-q8_0.gguf', 'README.md'))).toMatchObject({ kind: 'gguf', name: 'qwen2.5-coder-0.5b-q8_0.gguf' });
  });

  it('an HF folder, single or sharded, keeping only what the loader reads; named by its folder or its file count', () => {
    const single = localModel(named('config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors', 'README.md', 'merges.txt'), 'spark-nano');
    expect(single).toMatchObject({ kind: 'folder', name: 'model folder spark-nano' });
    expect(Object.keys(single.kind === 'folder' ? single.files : {}).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const sharded = localModel(named('a/config.json', 'a/tokenizer.json', 'a/model.safetensors.index.json', 'a/model-00001-of-00002.safetensors', 'a/model-00002-of-00002.safetensors'));
    expect(sharded).toMatchObject({ kind: 'folder', name: 'model folder (5 files)' });
    expect(Object.keys(sharded.kind === 'folder' ? sharded.files : {})).toContain('model-00002-of-00002.safetensors');
  });

  it('says what is missing, or that the files are no model', () => {
    expect(() => localModel(named('model.safetensors'))).toThrow('model.safetensors: a model folder needs config.json and tokenizer.json too');
    expect(() => localModel(named('config.json', 'tokenizer.json'))).toThrow('a model folder needs *.safetensors weights too');
    expect(() => localModel(named('a.gguf', 'b.gguf'))).toThrow('a.gguf, b.gguf: several .gguf files; choose one');
    expect(() => localModel(named('notes.txt'))).toThrow(/^notes\.txt: not a model\. Choose or drop a \.gguf file, or a model folder/);
    expect(() => localModel([])).toThrow(/^no files: not a model/);
  });
});
