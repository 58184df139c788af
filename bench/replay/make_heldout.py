#!/usr/bin/python3
"""Writes bench/replay/heldout/: a fixed sample of the model card's held-out packages, so that
`npm run replay` replays real held-out code from a fresh clone, with no network.

Sources (the versions pinned as split=val in training/corpus_manifest.json):
  python:  the Debian packages' .deb files, unpacked (`apt-get download python3-click ...`,
           `dpkg-deb -x <deb> <root>`)
  npm:     `npm pack <name>@<version>`, unpacked into <npm-root>/<safe name>-<version>/package
Usage: /usr/bin/python3 bench/replay/make_heldout.py --deb-root <root> --npm-root <dir>

The files are chosen by the corpus's own filters (training/corpus.py), sorted by path, taken
round-robin over the packages of a language until BUDGET bytes; tests are left out.
"""
import argparse
import json
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))
from training.corpus import BAD_DIR, BAD_NAME, JS_EXT, keep_text, lang_of, safe  # noqa: E402

BUDGET = 48_000  # bytes per language: enough for hundreds of keystrokes per file
MIN_FILE, MAX_FILE = 1_500, 14_000
TESTS = re.compile(r"(^|/)(tests?|__tests__|spec)(/|$)|\.(test|spec)\.[cm]?[jt]s$|(^|/)test_[^/]*\.py$")


def candidates(root, npm):
    out = []
    for dp, dn, fn in os.walk(root):
        dn.sort()
        for f in sorted(fn):
            ap = os.path.join(dp, f)
            rel = os.path.relpath(ap, root)
            if npm and (os.path.splitext(f)[1] not in JS_EXT or BAD_DIR.search(rel) or BAD_NAME.search(f)):
                continue
            if not npm and not f.endswith(".py"):
                continue
            if TESTS.search(rel):
                continue
            text = open(ap, encoding="utf-8", errors="replace").read()
            if keep_text(text) is None and MIN_FILE <= len(text.encode("utf-8")) <= MAX_FILE:
                out.append((rel, text))
    src = [c for c in out if c[0].startswith("src/")]
    return src if len(src) >= 3 else out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deb-root", required=True)
    ap.add_argument("--npm-root", required=True)
    args = ap.parse_args()
    man = json.load(open(os.path.join(HERE, "..", "..", "training", "corpus_manifest.json")))
    by_lang = {}
    for p in man["packages"]:
        if p["split"] != "val":
            continue
        if p["source"] == "debian":
            root = os.path.join(args.deb_root, "usr", "lib", "python3", "dist-packages")
            mod = {"python3-click": "click", "python3-markdown": "markdown", "python3-sqlparse": "sqlparse"}[p["name"]]
            files = [(f"{mod}/{rel}", text) for rel, text in candidates(os.path.join(root, mod), npm=False)]
            licence_file = os.path.join(args.deb_root, "usr", "share", "doc", p["name"], "copyright")
        else:
            root = os.path.join(args.npm_root, safe(p["name"]) + "-" + p["version"], "package")
            files = candidates(root, npm=True)
            licence_file = next((os.path.join(root, f) for f in sorted(os.listdir(root)) if f.upper().startswith("LICEN")), None)
        for rel, text in files:
            by_lang.setdefault(lang_of(rel), {}).setdefault(p["name"], {"package": p, "licence_file": licence_file, "files": []})["files"].append((rel, text))
    out = os.path.join(HERE, "heldout")
    shutil.rmtree(out, ignore_errors=True)
    manifest = {"description": "A fixed sample of spark-nano's held-out packages (training/corpus_manifest.json split=val), "
                               "written by bench/replay/make_heldout.py. Each package's licence is in licences/.", "files": []}
    for lang in sorted(by_lang):
        pkgs = [by_lang[lang][k] for k in sorted(by_lang[lang])]
        used, i = 0, 0
        while used < BUDGET and any(pkg["files"] for pkg in pkgs):
            pkg = pkgs[i % len(pkgs)]
            i += 1
            if not pkg["files"]:
                continue
            # spread over the package: take from the middle of what is left, not only its first directory
            rel, text = pkg["files"].pop(len(pkg["files"]) // 2)
            name = pkg["package"]["name"]
            dest = os.path.join(out, safe(name), rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            open(dest, "w", encoding="utf-8").write(text)
            used += len(text.encode("utf-8"))
            manifest["files"].append({"path": os.path.relpath(dest, out), "language": lang, "package": name,
                                      "version": pkg["package"]["version"], "licence": pkg["package"]["licence"]})
            if pkg["licence_file"]:
                lic = os.path.join(out, "licences", safe(name))
                if not os.path.exists(lic):
                    os.makedirs(os.path.dirname(lic), exist_ok=True)
                    shutil.copyfile(pkg["licence_file"], lic)
    manifest["files"].sort(key=lambda f: (f["language"], f["path"]))
    json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"), indent=1)
    for lang in sorted(by_lang):
        fs = [f for f in manifest["files"] if f["language"] == lang]
        print(lang, len(fs), "files", sorted({f["package"] for f in fs}), file=sys.stderr)


if __name__ == "__main__":
    main()
