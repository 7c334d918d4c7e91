"""The house's layout: the runtime lives in the library, `lerobot/scripts/*.py` only parse flags and call it.

Every module under lerobot/ (scripts included), benchmarks/ and examples/ is parsed with `ast`: none may
import `lerobot.scripts` (in any spelling: `import lerobot.scripts.x`, `from lerobot.scripts import x`,
`from lerobot import scripts`, a relative import inside the package, `importlib.import_module("...")`).
"""

import ast
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = "lerobot.scripts"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module of a `from ... import` (relative imports resolved against `module`)."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_scripts(name: str) -> bool:
    return name == SCRIPTS or name.startswith(SCRIPTS + ".")


def script_imports(path: Path) -> list[str]:
    """`<file>:<line> <what>` for every import of lerobot.scripts in the file at `path`."""
    module = _module_name(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, path.name == "__init__.py")
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        if any(_is_scripts(n) for n in names):
            found.append(f"{path.relative_to(REPO)}:{node.lineno} {ast.unparse(node)}")
    return found


def python_files() -> list[Path]:
    return sorted(p for d in ("lerobot", "benchmarks", "examples") for p in (REPO / d).rglob("*.py"))


def test_no_module_imports_the_scripts():
    offenders = [hit for path in python_files() for hit in script_imports(path)]
    assert not offenders, (
        "These modules import lerobot.scripts; scripts only parse flags and call the library (move the code "
        "they need into lerobot/evaluation, lerobot/training, lerobot/recording, ...):\n"
        + "\n".join(offenders)
    )


@pytest.mark.parametrize(
    "source",
    [
        "import lerobot.scripts.eval",
        "from lerobot.scripts.train import train",
        "from lerobot.scripts import demo",
        "from lerobot import scripts",
        "from . import eval",  # inside lerobot/scripts/
        "import importlib\nimportlib.import_module('lerobot.scripts.eval')",
    ],
)
def test_the_check_sees_every_spelling(tmp_path, monkeypatch, source):
    """The check above cannot pass by missing an import: each spelling is caught."""
    package = tmp_path / "lerobot" / "scripts"
    package.mkdir(parents=True)
    path = package / "x.py"
    path.write_text(source + "\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["REPO"]), "REPO", tmp_path)
    assert script_imports(path), source
    path.write_text("from lerobot.evaluation import eval_policy\nimport lerobot.scriptsx\n")
    assert not script_imports(path)


def test_every_script_has_a_main_and_console_scripts_resolve():
    """One entry-point name, `main`, in every script; console scripts name `main` or an alias of it."""
    import importlib

    scripts = sorted((REPO / "lerobot" / "scripts").glob("*.py"))
    missing = []
    for path in scripts:
        if path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text())
        if not any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body):
            missing.append(path.name)
    assert not missing, f"scripts without a top-level main(): {missing}"
    entry_points = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    for name, target in entry_points.items():
        module_name, attr = target.split(":")
        if not module_name.startswith(SCRIPTS + "."):
            continue
        module = importlib.import_module(module_name)
        assert getattr(module, attr) is module.main, f"{name} = {target} is not {module_name}:main"
