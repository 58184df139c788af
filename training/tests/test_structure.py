"""The training modules import one another without a cycle, and stay small.

A cycle hides easily in function-local imports, and whichever half is imported first then sees the other
half-initialised. Imports are read with `ast`, so an import inside a function counts like one at the top
of the file.
"""
import ast
import os

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_LINES = 500


def modules(root):
    """module name -> path: root/*.py and root/eval/*.py, which the scripts import by plain name (both
    directories are on sys.path). The tests are left out: nothing imports them."""
    out = {}
    for d in (root, os.path.join(root, "eval")):
        for f in sorted(os.listdir(d)):
            if f.endswith(".py") and f != "__init__.py":
                name = f[:-3]
                assert name not in out, f"{name}.py exists in training/ and training/eval/: ambiguous import"
                out[name] = os.path.join(d, f)
    return out


def imported_names(path):
    """Every module name a file imports, anywhere in it; `training.X` and `from training import X` as X."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                names.add(parts[1] if parts[0] == "training" and len(parts) > 1 else parts[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] != "training":
                names.add(parts[0])
            elif len(parts) > 1:
                names.add(parts[1])
            else:
                names.update(alias.name for alias in node.names)
    return names


def import_graph(root):
    mods = modules(root)
    return {name: sorted(imported_names(path) & set(mods) - {name}) for name, path in mods.items()}


def find_cycle(graph):
    """One import cycle as [a, b, ..., a], or None."""
    state, stack = {}, []  # state: 1 = on the current path, 2 = done

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in graph.get(n, ()):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_no_import_cycle():
    graph = import_graph(TRAINING)
    assert {"train", "export", "model", "tokenizer"} <= set(graph)  # it found the modules
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_formats_stands_alone():
    # bench/peers imports training.formats without training/ on sys.path: a plain-name import of a
    # sibling module would fail there.
    assert import_graph(TRAINING)["formats"] == []


def test_a_function_local_import_closes_a_cycle(tmp_path):
    # both halves import inside functions: the cycle nothing at import time would reveal
    (tmp_path / "eval").mkdir()
    (tmp_path / "train.py").write_text("import os\n\n\ndef main():\n    from export import load_hf_dir\n")
    (tmp_path / "export.py").write_text("import sys\n\n\ndef heldout_bpb():\n    from train import Data\n")
    (tmp_path / "model.py").write_text("import torch\n")
    graph = import_graph(str(tmp_path))
    assert graph == {"train": ["export"], "export": ["train"], "model": []}
    assert find_cycle(graph) == ["export", "train", "export"]
    assert find_cycle({"a": ["b"], "b": ["c"], "c": []}) is None
    # package-style imports count as well
    (tmp_path / "model.py").write_text("from training import train\n")
    (tmp_path / "train.py").write_text("import training.model\n")
    (tmp_path / "export.py").write_text("")
    assert find_cycle(import_graph(str(tmp_path))) == ["model", "train", "model"]


def test_modules_stay_small():
    long = {}
    for name, path in modules(TRAINING).items():
        with open(path) as f:
            n = sum(1 for _ in f)
        if n > MAX_LINES:
            long[name] = n
    assert not long, f"over {MAX_LINES} lines (split by idea): {long}"
