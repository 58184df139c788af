#!/usr/bin/python3
"""Write the model card public/models/spark-nano/README.md from the pipeline's outputs.

  /usr/bin/python3 training/make_card.py [--samples 2]

Reads corpus_manifest.json, data/corpus/stats.json, tokenizer_vocab_curve.json, the shipped
metrics.json, eval/results/eval.{json,md}, the log of the run that produced the shipped checkpoint
(metrics.json "source", e.g. runs/nano/), and generates sample
continuations with the shipped weights by a fixed rule: for each language, the first
--samples held-out files (val.jsonl order) that contain a function definition; the prompt is
the file up to and including the first line of its first function; greedy, 64 tokens max,
stopping at the first blank line or <|endoftext|>. Each sample then runs through `npm run generate`
(the editor's engine, in headless Chromium) and the card says whether its tokens match PyTorch's
(--no-engine skips that, e.g. without a browser).
"""
import argparse
import json
import os
import re
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from checkpoints import load_model, shipped_run_dir  # noqa: E402
from export import fim_order_of  # noqa: E402
from tokenizer import EOT, Tokenizer  # noqa: E402

ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "public", "models", "spark-nano")
FUNC = {"python": re.compile(r"^\s*(async\s+)?def \w+\(.*$", re.M),
        "typescript": re.compile(r"^\s*(export\s+)?(async\s+)?function\s*\*?\s*\w+.*$", re.M),
        "javascript": re.compile(r"^\s*(export\s+)?(async\s+)?function\s*\*?\s*\w+.*$", re.M)}


def samples(model, tok, corpus, n):
    out = []
    per = {}
    with open(os.path.join(corpus, "val.jsonl")) as f:
        for line in f:
            d = json.loads(line)
            lang = d["lang"]
            if per.get(lang, 0) >= n:
                continue
            m = FUNC[lang].search(d["text"])
            if not m:
                continue
            prompt = d["text"][:m.end()] + "\n"
            ids = tok.encode(prompt)[-(1024 - 64):]

            def stop(o):
                return b"\n\n" in tok.decode_bytes(o)
            gen = model.generate(ids, 64, stop_ids=(EOT,), stop_fn=stop)
            text = tok.decode(gen)
            if "\n\n" in text:
                text = text[:text.index("\n\n") + 1]
            tail = "\n".join(prompt.rstrip("\n").split("\n")[-4:]) + "\n"
            out.append({"lang": lang, "pkg": d["pkg"], "path": d["path"], "prompt": prompt, "prompt_tail": tail,
                        "completion": text, "tokens": gen})
            per[lang] = per.get(lang, 0) + 1
    return out


def engine_generate(prompt, max_new):
    """The same prompt through `npm run generate` (the editor's engine in headless Chromium, WebGPU):
    returns its JSON report. Needs the repo's npm dependencies and a browser (npm test installs one)."""
    import subprocess
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(prompt)
    try:
        r = subprocess.run(["node", os.path.join(ROOT, "scripts", "generate.mjs"), "--model", OUT, "--prompt-file", f.name,
                            "--max-tokens", str(max_new), "--max-prompt-tokens", str(1024 - max_new), "--json"],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
    finally:
        os.unlink(f.name)
    if r.returncode != 0:
        raise SystemExit(f"npm run generate failed ({r.returncode}): {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def fmt_int(x):
    return f"{x:,}"


def live_records(log):
    """The log's records that led to the shipped weights: a "start" record (train.py writes one per start)
    that resumed from an earlier checkpoint drops the records written after that point by the stretch it
    replaced (e.g. a decay abandoned by --resume-from predecay)."""
    live = []
    for r in log:
        if "start" in r:
            # a start also replaces an earlier start at the same point (a restart there)
            live = [x for x in live if x["tokens"] < r["tokens"] or (x["tokens"] == r["tokens"] and "start" not in x)]
        live.append(r)
    return live


def fim_mixes(log, args):
    """[(run tokens, fim_rate, spm_rate, fim_line_rate)] for each stretch of the run with one FIM mix, from the
    live log's "start" records, or from args.json for a log that has none."""
    mixes = []
    for r in live_records(log):
        if "start" in r:
            mix = (r["start"]["fim_rate"], r["start"]["spm_rate"], r["start"]["fim_line_rate"])
            if not mixes or mixes[-1][1:] != mix:
                mixes.append((r["tokens"],) + mix)
    return mixes or [(0, args["fim_rate"], args["spm_rate"], args.get("fim_line_rate", 0.5))]


CALIBRATION = os.path.join(HERE, "..", "src", "editor", "calibration.json")


def calibration_section(path=CALIBRATION):
    """The card's section on the suggestion gate and Edit's never-worse margin, from src/editor/calibration.json
    (written by `npm run replay -- --calibrate`); no torch needed, so the card can be patched on its own."""
    c = json.load(open(path))
    g, e = c["gate"], c["edit"]
    gp, ep = g.get("provenance", {}), e.get("provenance", {})
    L = ["## Suggestion gate and Edit guard\n"]
    terms = " ".join(f"{w:+.3f}·{name}" for w, name in zip(g["weights"], g["features"]))
    if g["threshold"] > 0:
        shown = (f"The editor shows a ghost suggestion only when its estimated chance of being taken is at least "
                 f"**{g['threshold']:.2f}** (the default of Settings → Suggestion gate). ")
    else:
        shown = ("The editor's default gate threshold is **0**: it shows every suggestion, since even ungated the share "
                 "of suggestions taken reaches the target below in every language. Settings → Suggestion gate raises it, "
                 "and the gate then shows a suggestion only when its estimated chance of being taken is at least the threshold. ")
    L.append(shown + f"The estimate is "
             f"σ({g['bias']:.3f} {terms}), where p(first token) is the probability of the suggestion's first token with text of its own (with token healing, renormalised over the tokens that spell on from the text the prompt was cut back by), "
             f"a known word means the word the suggestion makes at the cursor begins another word of the document, "
             f"and the last terms are 1 for the kind of character right before the cursor (0 for all of them after "
             f"anything else: a newline, an operator, a closing bracket); fitted on typing replays of the training split with "
             f"the gate off "
             f"(`{gp.get('command', 'npm run replay -- --calibrate')}`: {gp.get('files', '?')} files, "
             f"≤ {gp.get('keystrokesPerFile', '?')} keystrokes each; shown suggestions per language "
             f"{gp.get('samples', {})}, taken {gp.get('taken', {})}). The threshold is the lowest at which the accept "
             f"rate of what is shown reaches {100 * gp.get('targetAcceptRate', 0):.0f} % in every language of those "
             f"replays. The curve (share of suggestions kept / share of those taken; every 0.05 and the "
             f"threshold chosen):\n")
    curve = gp.get("curve", {})
    langs = sorted(curve)
    if langs:
        L.append("| threshold | " + " | ".join(langs) + " |")
        L.append("|---|" + "---|" * len(langs))
        for i, point in enumerate(curve[langs[0]]):
            # Every 0.05 and the chosen threshold: the fit's grid is finer than a reader needs.
            if round(point["threshold"] * 100) % 5 != 0 and abs(point["threshold"] - g["threshold"]) > 1e-9:
                continue
            row = [f"{100 * curve[l][i]['kept']:.0f} % / {100 * curve[l][i]['acceptRate']:.0f} %" for l in langs]
            L.append(f"| {point['threshold']:.2f} | " + " | ".join(row) + " |")
        L.append("")
    copy = c.get("copy")
    if copy is not None:
        L.append(f"Suggestions are copy-aware: where the document repeats itself, the engine's prompt-lookup draft "
                 f"token is kept over the model's own pick when its log-probability is within **{copy['tolerance']:g}** "
                 f"nats of the pick's (`COPY_TOLERANCE`), and the gate above was fitted on suggestions made that way.\n")
    out = ep.get("outcomesIfAllApplied", {})
    unfinished = ep.get("unfinished", 0)
    finished = ep.get("cases", 0) - unfinished
    if finished > 0:
        seen = (f"of the {finished} rewrites that finished, applying them would have restored {out.get('restored', 0)}, "
                f"made {out.get('worse', 0)} worse, changed nothing in {out.get('declined', 0) - unfinished} and come "
                f"closer in {out.get('closer', 0)}; {unfinished} did not finish within their token budget")
    else:
        seen = (f"none of the {unfinished} rewrites finished within its token budget (this model rarely ends a "
                f"rewritten selection), so Edit declines them all and the margin stays at 0")
    L.append(f"Edit with this model (a base model) applies a rewrite only when its mean log-probability per token "
             f"beats the selected code's by at least **{e['margin']:.4f}** nats, and only when it finished. The "
             f"margin is the least at which at most {100 * ep.get('maxWorse', 0):.0f} % of {ep.get('cases', '?')} "
             f"Edit cases on mutated training code end worse: {seen}. Whatever its score, a rewrite is also declined "
             f"when it brings in another language's code, leaves the brackets less balanced than the selected "
             f"code did, or deletes it (`src/editor/rewrite/`).\n")
    return L


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(HERE, "data", "corpus"))
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--no-engine", action="store_true",
                    help="skip running the samples through `npm run generate` (the browser engine)")
    a = ap.parse_args()
    torch.set_num_threads(2)
    man = json.load(open(os.path.join(HERE, "corpus_manifest.json")))
    stats = json.load(open(os.path.join(a.corpus, "stats.json")))
    curve = json.load(open(os.path.join(HERE, "tokenizer_vocab_curve.json")))
    metrics = json.load(open(os.path.join(OUT, "metrics.json")))
    res_md_p = os.path.join(HERE, "eval", "results", "eval.md")
    res_md = open(res_md_p).read() if os.path.exists(res_md_p) else "_not run yet_\n"
    res_p = os.path.join(HERE, "eval", "results", "eval.json")
    res = json.load(open(res_p)) if os.path.exists(res_p) else None
    model, _ = load_model(OUT)
    tok = Tokenizer.load(os.path.join(OUT, "tokenizer.json"))
    cfg = model.cfg
    fim_order = fim_order_of(OUT)  # the order config.json tells the editor to use
    sm = samples(model, tok, a.corpus, a.samples)
    for s in ([] if a.no_engine else sm):
        rep = engine_generate(s["prompt"], 64)
        n = len(s["tokens"])
        s["engine"] = {"same": rep["tokens"][:n] == s["tokens"], "backend": rep["backend"],
                       "adapter": rep.get("adapter", ""), "tok_s": rep["stats"]["decodeTokensPerSecond"]}

    L = []
    L.append("# spark-nano\n")
    L.append("The embedded default code model of Spark: a 2.4 M-parameter Llama-architecture model for Python, "
             "TypeScript and JavaScript completion and fill-in-the-middle, trained from scratch on two CPU cores by "
             "[`training/`](../../../training/README.md). It is tiny and weak by design: it must decode in tens of "
             "milliseconds per token on a CPU-emulated GPU in a web page. Treat its suggestions as short, local "
             "continuations.\n")
    L.append("## Files\n")
    L.append("| file | |\n|---|---|")
    L.append("| `config.json`, `generation_config.json` | `LlamaForCausalLM`, f16, tied embeddings |")
    L.append("| `model.safetensors` | f16 weights, Hugging Face tensor names (no `lm_head.weight`: tied) |")
    L.append("| `tokenizer.json`, `tokenizer_config.json` | byte-level BPE, 4096 tokens, loads in `@huggingface/tokenizers` |")
    L.append("| `spark-nano.gguf` | the same weights as GGUF v3 (llama arch, Q/K permuted as llama.cpp expects) |")
    L.append("| `metrics.json` | held-out bits/byte that decided this export, provenance |")
    L.append("| `loss.png` | training curve |\n")
    L.append("## Model\n")
    L.append(f"Llama: vocab {cfg.vocab_size}, d_model {cfg.hidden_size}, {cfg.num_hidden_layers} layers, "
             f"{cfg.num_attention_heads} query heads / {cfg.num_key_value_heads} KV heads (head_dim {cfg.head_dim}), "
             f"SwiGLU {cfg.intermediate_size}, RMSNorm eps {cfg.rms_norm_eps}, RoPE theta {cfg.rope_theta:g}, "
             f"context {cfg.max_position_embeddings}, tied embeddings, no biases. "
             f"**{fmt_int(model.num_params())} parameters** (embedding {fmt_int(cfg.vocab_size * cfg.hidden_size)}), "
             f"{os.path.getsize(os.path.join(OUT, 'model.safetensors')) / 1e6:.1f} MB in f16.\n")
    L.append("Special tokens: `<|endoftext|>` = 0 (bos/eos/pad, document separator), `<fim_prefix>` = 1, "
             "`<fim_middle>` = 2, `<fim_suffix>` = 3, `<file_sep>` = 4 (reserved). FIM prompts:\n")
    L.append("```\nPSM: <fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>   -> middle ... <|endoftext|>\n"
             "SPM: <fim_prefix><fim_suffix>{suffix}<fim_middle>{prefix}   -> middle ... <|endoftext|>\n```\n")
    L.append(f"config.json says `\"fim_order\": \"{fim_order}\"` (spark-nano.gguf: `spark.fim_order`), and the editor sends that order. Why SPM: in SPM the "
             "prefix runs straight into the middle; this small model cannot reach back across the suffix to the prefix "
             "(`training/eval/fim_diag.py`: its first middle line comes out right far more often in SPM than in PSM), and "
             "typing at the cursor changes only the prompt's end, which keeps the KV cache warm.\n")
    L.append("## Training data\n")
    npm = [p for p in man["packages"] if p["source"] == "npm"]
    deb = [p for p in man["packages"] if p["source"] == "debian"]
    lic = {}
    for p in man["packages"]:
        k = p["licence"].split(" ")[0]
        lic[k] = lic.get(k, 0) + 1
    L.append(f"Source code only, from package registries: {len(deb)} Debian Python packages (the CPython 3.11 "
             f"standard library plus {len(deb) - 1} pure-Python libraries) and {len(npm)} npm packages that ship "
             "real TypeScript/JavaScript sources. Every package is pinned with its version and licence in "
             "[`training/corpus_manifest.json`](../../../training/corpus_manifest.json); only permissive licences "
             f"({', '.join(f'{k} ×{v}' for k, v in sorted(lic.items(), key=lambda kv: -kv[1]))}). Minified, "
             "generated, vendored and declaration-only files, and exact and near duplicates (MinHash) were removed. "
             "Evaluation packages are held out **by package**.\n")
    L.append("| split | language | packages | files | bytes | tokens | bytes/token |\n|---|---|---|---|---|---|---|")
    for split in ("train", "val"):
        for lang, s in stats["splits"].get(split, {}).items():
            L.append(f"| {'train' if split == 'train' else 'held-out'} | {lang} | {len(s['packages'])} | "
                     f"{fmt_int(s['files'])} | {fmt_int(s['bytes'])} | {fmt_int(s.get('tokens', 0))} | "
                     f"{s.get('bytes_per_token', 0):.2f} |")
    held = sorted({p['name'] for p in man['packages'] if p['split'] == 'val'})
    L.append(f"\nHeld-out packages: {', '.join('`' + h + '`' for h in held)}.\n")
    L.append(f"Tokenizer: byte-level BPE trained on the training split; bytes/token by vocabulary size "
             f"{curve['bytes_per_token_by_vocab']} — 4096 chosen (see training/README.md for the trade-off).\n")
    L.append("## Training\n")
    run_dir = shipped_run_dir(metrics)
    with open(os.path.join(run_dir, "log.jsonl")) as f:
        log = [json.loads(line) for line in f]
    tr = [r for r in live_records(log) if "loss" in r]
    tps = [r["tok_per_s"] for r in tr if r.get("tok_per_s")]
    with open(os.path.join(run_dir, "args.json")) as f:
        args = json.load(f)
    before = args.get("tokens_before", 0.0)
    L.append(f"This export: **{fmt_int(int(metrics.get('tokens', 0)))} training tokens** "
             f"(≈{metrics.get('tokens', 0) / max(1, sum(s.get('tokens', 0) for s in stats['splits']['train'].values())):.2f} "
             "epochs of the training split). AdamW (β 0.9/0.95, wd 0.1), warmup-stable-decay schedule, "
             f"{args['tokens_per_step']} tokens/step, context {args['seq_len']} then {args['long_seq_len']}.\n")
    if before:
        # What the earlier runs did is history kept by hand in training/README.md; the card only knows the count.
        L.append(f"- Earlier runs (logs not kept; see \"State\" in training/README.md): {fmt_int(int(before))} tokens.")
        L.append(f"- This run continued those weights for {fmt_int(int(metrics.get('run_tokens', 0)))} tokens: "
                 f"lr {args['lr']:g} (re-warmed), context {args['long_seq_len']} for the last "
                 f"{args['long_frac']:.0%}, decay over the last {args['decay_frac']:.0%}.")
    mixes = fim_mixes(log, args)
    L.append("- FIM on " + ", then ".join(
        f"{fim:.0%} of examples ({spm:.0%} of them SPM, the rest PSM; {line:.0%} of middles 1-4 whole lines, the rest "
        f"random spans){'' if len(mixes) == 1 else f' from run token {fmt_int(int(at))}'}"
        for at, fim, spm, line in mixes) + ". Each FIM example is a document fragment that fits its window, so the "
        "middle always ends with `<|endoftext|>`.")
    L.append(f"- Two shared CPU cores: median {sorted(tps)[len(tps) // 2]:.0f} tokens/s in this run.\n"
             if tps else "")
    L.append("![loss curve](loss.png)\n")
    L.append(f"Held-out bits/byte at context 1024 (f16 weights, 16 fixed windows): **{metrics['heldout_bpb_ctx1024']:.3f}**.\n")
    L.append("## Evaluation\n")
    L.append("On the held-out packages, per language, with fixed seeds (`training/eval/evaluate.py`). bits/byte: "
             "cross-entropy over windows of ≤1024 tokens. Next-line: the file up to a line break (last 512 tokens), greedy until "
             "newline; exact match and edit similarity. FIM: a random span of 1-3 whole lines removed and "
             f"regenerated from a{'n' if fim_order == 'spm' else ''} {fim_order.upper()} prompt (512 tokens: ≤128 of "
             "suffix, the rest prefix; the suffix starts at the line after the span, as the editor sends it when "
             "nothing follows the cursor on its line), then shown as the editor shows it: the editor's own rules "
             "(`src/editor/inline/postprocess.ts`, run by `training/eval/editor_rules.mjs`), with the cursor on the "
             "empty line the span leaves, pick single-line mode (the first line only) unless the last non-empty line "
             "above opens a block, and cut a multi-line suggestion before a line that copies the document's next non-empty line; "
             "exact match (trailing whitespace ignored). So a 2-3-line span in single-line mode counts as a miss. "
             "Baselines on the same tokens: an interpolated Kneser-Ney 4-gram trained on the training split, and "
             "copy-from-context (prompt lookup, up to 4-token suffix match). For FIM both baselines see only "
             "the prefix (plus the suffix as lookup text for copy) and are *told the true number of lines*, an "
             "advantage spark-nano does not get.\n")
    L.append(res_md)
    if res is not None:
        notes = []
        for lang, sy in res["results"].items():
            m, ng = sy.get("spark-nano"), next((v for k, v in sy.items() if k.startswith("ngram")), None)
            if not m or not ng:
                continue
            for key, better in (("bpb", "lower"), ("line_em", "higher"), ("line_es", "higher"), ("fim_em", "higher")):
                if m[key] is None or ng[key] is None:
                    continue
                win = m[key] < ng[key] if better == "lower" else m[key] > ng[key]
                if not win:
                    notes.append(f"{lang} {key}: spark-nano {m[key]:.3f} vs n-gram {ng[key]:.3f}")
        if notes:
            L.append("**Where spark-nano does not (yet) beat the n-gram baseline:** " + "; ".join(notes) + ".\n")
        else:
            L.append("spark-nano beats the n-gram baseline on every metric and language above.\n")
        L.append(f"(Evaluated {res['meta']['utc']}; sample sizes are small, so differences of a few points in the "
                 "exact-match columns are within noise.)\n")
    L.extend(calibration_section())
    L.append("## Sample continuations\n")
    L.append(f"Chosen by a fixed rule, not by quality: for each language, the first {a.samples} held-out files (corpus "
             "order) containing a function definition; prompt = the file up to and including the first line of its "
             "first function (last 4 prompt lines shown); greedy, ≤64 tokens, cut at the first blank line. Generated "
             "by PyTorch (`model.py`) and again by the editor's engine through `npm run generate -- --model "
             "public/models/spark-nano --prompt-file <prompt> --max-tokens 64 --max-prompt-tokens 960`; each sample "
             "says whether the engine produced the same tokens.\n")
    for s in sm:
        lang = {"python": "python", "typescript": "ts", "javascript": "js"}[s["lang"]]
        L.append(f"**{s['pkg']} — `{s['path']}`**\n")
        L.append(f"```{lang}\n{s['prompt_tail']}```\n")
        e = s.get("engine")
        how = ("" if e is None else f" (`npm run generate`, {e['backend']} on {e['adapter'] or 'unknown adapter'}: "
               f"{'the same tokens' if e['same'] else '**different tokens**'}, {e['tok_s']:.0f} tokens/s)")
        L.append(f"continuation{how}:\n")
        L.append(f"```{lang}\n{s['completion'] if s['completion'].strip() else '(empty)'}\n```\n")
    L.append("## Limitations\n")
    L.append("Trained for a tiny fraction of a normal budget on ~60 MB of code; it knows common syntax and local "
             "patterns, not APIs or semantics. No safety filtering beyond licence and quality filters; outputs can be "
             "wrong or insecure. Its tokenizer.json is the reference: llama.cpp's `llama-bpe` pre-tokenizer named in "
             "the GGUF differs for English contractions (`'s`, `'t`, …).\n")
    L.append("## Licence\n")
    L.append("Weights trained from permissively licensed code (MIT, BSD, Apache-2.0, ISC, PSF, public domain); see the "
             "manifest for each package's licence.\n")
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("\n".join(L))
    print("wrote", os.path.join(OUT, "README.md"))


if __name__ == "__main__":
    main()
