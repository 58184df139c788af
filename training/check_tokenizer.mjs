// Checks that @huggingface/tokenizers (JS) tokenizes exactly like training/tokenizer.py.
//
//   /usr/bin/python3 training/tokenizer_sample.py > /tmp/tok_sample.json   (Python ids)
//   node training/check_tokenizer.mjs public/models/spark-nano/tokenizer.json /tmp/tok_sample.json
//
// The sample file is [{name, text, ids}]. For each entry: JS ids == Python ids, and
// decode(encode(text)) == text. Exit code 1 on any mismatch.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

let Tokenizer;
try {
  ({ Tokenizer } = await import("@huggingface/tokenizers"));
} catch {
  // not resolvable from here (e.g. NODE_PATH only): fall back to require-style resolution
  const require = createRequire(process.cwd() + "/");
  ({ Tokenizer } = require("@huggingface/tokenizers"));
}

const [tokPath, samplePath] = process.argv.slice(2);
if (!tokPath || !samplePath) {
  console.error("usage: node check_tokenizer.mjs tokenizer.json sample.json");
  process.exit(2);
}
const tokJson = JSON.parse(readFileSync(tokPath, "utf8"));
const cfgPath = tokPath.replace(/tokenizer\.json$/, "tokenizer_config.json");
let tokCfg = {};
try {
  tokCfg = JSON.parse(readFileSync(cfgPath, "utf8"));
} catch {}
const tok = new Tokenizer(tokJson, tokCfg);
const samples = JSON.parse(readFileSync(samplePath, "utf8"));
let bad = 0;
let nTok = 0;
for (const s of samples) {
  const ids = tok.encode(s.text, { add_special_tokens: false }).ids;
  nTok += ids.length;
  let same = ids.length === s.ids.length && ids.every((v, i) => v === s.ids[i]);
  if (!same) {
    bad++;
    let i = 0;
    while (i < ids.length && ids[i] === s.ids[i]) i++;
    console.error(`ids differ: ${s.name} at token ${i}: js=${JSON.stringify(ids.slice(i, i + 5))} ` +
      `py=${JSON.stringify(s.ids.slice(i, i + 5))} text=${JSON.stringify(tok.decode(s.ids.slice(Math.max(0, i - 3), i + 5)))}`);
  }
  const back = ids.length === 0 ? "" : tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  if (back !== s.text) {
    bad++;
    console.error(`round trip differs: ${s.name}`);
  }
}
console.log(`${samples.length} samples, ${nTok} tokens, ${bad} mismatches`);
process.exit(bad ? 1 : 0);
