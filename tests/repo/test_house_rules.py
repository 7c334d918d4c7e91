"""Rules of the house checked over the whole repository (STYLE habits 12 and 15, docs/contributing.md):

- no import cycle between the modules of `lerobot/` (module-level imports, read with `ast`);
- no library file over 600 lines;
- no file cites a document outside the repository.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "lerobot"
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def library_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports run when the module is imported: top level, and inside top-level `if` / `try` / `with`
    blocks, except `if TYPE_CHECKING:`; not those inside functions or classes."""
    out, todo = [], list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(node)
        elif isinstance(node, ast.If):
            test = ast.unparse(node.test)
            if test not in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                todo += node.body
            todo += node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
        elif isinstance(node, ast.With):
            todo += node.body
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the `lerobot` modules it imports at module level (the most specific existing module of
    each import: `from lerobot.robots import robot` is an edge to `lerobot.robots.robot`)."""
    files = {module_name(p): p for p in library_files()}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        for node in _module_level_imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:  # relative import
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [f"{module}.{alias.name}" for alias in node.names] + [module]
            for target in targets:
                if target.startswith("lerobot"):
                    while target and target not in files:
                        target = target.rpartition(".")[0]
                    if target and target != name:
                        graph[name].add(target)
                        break
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_reads_module_level_imports_only():
    graph = import_graph()
    # lerobot/policies/factory.py imports the policy base at module level ...
    assert "lerobot.policies.pretrained" in graph["lerobot.policies.factory"]
    # ... and `from lerobot.registry import POLICIES` is an edge to the module, not to an attribute.
    assert "lerobot.registry" in graph["lerobot.configs.policies"]


def test_no_import_cycle_in_the_library():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_library_file_over_600_lines():
    too_long = {
        str(p.relative_to(REPO)): n
        for p in library_files()
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert too_long == {}, f"library files over {MAX_LINES} lines (split them by concern): {too_long}"


# Built from pieces so that this file does not match itself.
CITATIONS = ("spec " + "\u00a7", "../shared" + "/spec")


SKIPPED_DIRS = {"__pycache__", "node_modules", "outputs"}
BINARY_SUFFIXES = {".png", ".jpg", ".gif", ".mp4", ".parquet", ".safetensors", ".pyc", ".so", ".zip", ".tar"}


def repo_text_files() -> list[Path]:
    """The files of the repository (git's list when it is a checkout, else every file outside hidden and
    build folders)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
        paths = [REPO / rel for rel in listed if rel]
    except (OSError, subprocess.CalledProcessError):
        paths = [
            p
            for p in REPO.rglob("*")
            if not any(part.startswith(".") or part in SKIPPED_DIRS for part in p.relative_to(REPO).parts)
        ]
    return [p for p in paths if p.is_file() and p.suffix not in BINARY_SUFFIXES]


def test_no_file_cites_a_document_outside_the_repository():
    offenders = []
    for path in repo_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for lineno, line in enumerate(text.splitlines(), 1):
            if any(c in line for c in CITATIONS):
                offenders.append(f"{path.relative_to(REPO)}:{lineno}: {line.strip()[:100]}")
    assert offenders == [], "cite files of the repository (docs/...) instead:\n" + "\n".join(offenders)
