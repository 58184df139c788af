// Parses an exported GGUF with @huggingface/gguf and checks the metadata spark-nano relies on.
//   node training/check_gguf.mjs public/models/spark-nano/spark-nano.gguf [config.json]
import { gguf } from "@huggingface/gguf";
import { readFileSync } from "node:fs";
import { resolve, dirname, join } from "node:path";

const path = resolve(process.argv[2] ?? "public/models/spark-nano/spark-nano.gguf");
const cfgPath = process.argv[3] ?? join(dirname(path), "config.json");
const cfg = JSON.parse(readFileSync(cfgPath, "utf8"));
const { metadata, tensorInfos } = await gguf(path, { allowLocalFile: true, computeParametersCount: false });
const want = {
  version: 3,
  "general.architecture": "llama",
  "llama.block_count": cfg.num_hidden_layers,
  "llama.embedding_length": cfg.hidden_size,
  "llama.feed_forward_length": cfg.intermediate_size,
  "llama.attention.head_count": cfg.num_attention_heads,
  "llama.attention.head_count_kv": cfg.num_key_value_heads,
  "llama.context_length": cfg.max_position_embeddings,
  "llama.rope.dimension_count": cfg.head_dim,
  "tokenizer.ggml.model": "gpt2",
  "tokenizer.ggml.eos_token_id": cfg.eos_token_id,
};
let bad = 0;
for (const [k, v] of Object.entries(want)) {
  const got = typeof metadata[k] === "bigint" ? Number(metadata[k]) : metadata[k];
  if (got !== v) { console.error(`${k}: got ${got}, want ${v}`); bad++; }
}
const toks = metadata["tokenizer.ggml.tokens"];
if (!Array.isArray(toks) || toks.length !== cfg.vocab_size || toks[1] !== "<fim_prefix>") { console.error("tokens"); bad++; }
const names = new Set(tensorInfos.map((t) => t.name));
for (const n of ["token_embd.weight", "output_norm.weight", "blk.0.attn_q.weight", `blk.${cfg.num_hidden_layers - 1}.ffn_down.weight`]) {
  if (!names.has(n)) { console.error(`missing tensor ${n}`); bad++; }
}
const q = tensorInfos.find((t) => t.name === "blk.0.attn_q.weight");
if (Number(q.shape[0]) !== cfg.hidden_size) { console.error("attn_q ne0 != hidden_size"); bad++; }
console.log(`${path}: ${tensorInfos.length} tensors, ${Object.keys(metadata).length} metadata keys, ${bad} problems`);
process.exit(bad ? 1 : 0);
