"""The layout of the device families (docs/devices.md): robots and teleoperators are siblings on the device
base `lerobot/devices`, importing neither each other; `__init__.py` files only re-export; one file-naming
scheme; the simulated bus takes its presets from the devices' own motor tables."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

LEROBOT = Path(__file__).resolve().parents[1] / "lerobot"
FAMILIES = ("robots", "teleoperators", "cameras", "motors", "devices")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, at any depth; `from a import b` counts as `a.b` too."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                package = path.parent.relative_to(LEROBOT.parent).parts
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            out.append((node.lineno, module))
            out += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return out


def forbidden_imports(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((LEROBOT / package).rglob("*.py")):
        for line, module in imported_modules(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(LEROBOT.parent)}:{line} imports {module}")
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("robots", ("lerobot.teleoperators", "lerobot.legacy")),
        ("teleoperators", ("lerobot.robots", "lerobot.legacy")),
        ("devices", ("lerobot.robots", "lerobot.teleoperators", "lerobot.legacy")),
    ],
)
def test_robots_and_teleoperators_import_neither_each_other(package, forbidden):
    assert forbidden_imports(package, forbidden) == []


def test_the_import_check_sees_imports():
    """The check above finds an import of the other family wherever it is written."""
    sample = LEROBOT / "legacy" / "devices.py"  # the compatibility layer imports both families
    modules = {m for _, m in imported_modules(sample)}
    assert any(m.startswith("lerobot.teleoperators") for m in modules)
    assert any(m.startswith("lerobot.robots") for m in modules)


@pytest.mark.parametrize(("package", "other"), [("robots", "teleoperators"), ("teleoperators", "robots")])
def test_importing_one_family_loads_nothing_of_the_other(package, other):
    code = (
        f"import sys, lerobot.{package}\n"
        f"print(sorted(m for m in sys.modules if m.startswith('lerobot.{other}') or m.startswith('lerobot.legacy')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def _init_files() -> list[Path]:
    # Every sub-package of lerobot/; the top-level `lerobot/__init__.py` also computes the public
    # `available_*` lists from lerobot/registry.py on access (the reference's package API).
    return sorted(p for p in LEROBOT.rglob("__init__.py") if p != LEROBOT / "__init__.py")


@pytest.mark.parametrize("path", _init_files(), ids=lambda p: str(p.relative_to(LEROBOT)))
def test_init_files_only_reexport(path):
    """An `__init__.py` holds a docstring, imports and `__all__`: the code lives in named modules."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for i, node in enumerate(tree.body):
        docstring = i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        is_all = (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["__all__"]
            and isinstance(node.value, ast.List | ast.Tuple)
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.value.elts)
        )
        ok = docstring or is_all or isinstance(node, ast.Import | ast.ImportFrom)
        assert ok, f"{path.relative_to(LEROBOT.parent)}:{node.lineno}: only a docstring, imports and __all__"


def test_one_file_naming_scheme():
    """Each robot, teleoperator and camera folder has `config_<name>.py` (the registered config) and
    `<name>.py` (the device); no module uses another scheme's prefix."""
    folders = [
        p.parent
        for family in ("robots", "teleoperators", "cameras")
        for p in (LEROBOT / family).glob("*/__init__.py")
    ]
    assert len(folders) >= 12
    for folder in folders:
        name = folder.name
        assert (folder / f"config_{name}.py").is_file(), folder
        assert (folder / f"{name}.py").is_file(), folder
    for family in FAMILIES:
        for path in (LEROBOT / family).rglob("*.py"):
            assert not path.name.startswith(("configuration_", "camera_")), path


def test_renamed_camera_modules_stay_importable():
    """The reference's camera module names resolve to the renamed modules (lerobot/utils/import_aliases.py)."""
    code = (
        "from lerobot.cameras.opencv.configuration_opencv import OpenCVCameraConfig as a\n"
        "from lerobot.cameras.opencv.camera_opencv import OpenCVCamera as b\n"
        "from lerobot.cameras.realsense.configuration_realsense import RealSenseCameraConfig as c\n"
        "import lerobot.cameras.opencv as o, lerobot.cameras.realsense.config_realsense as r\n"
        "assert a is o.OpenCVCameraConfig and b is o.OpenCVCamera and c is r.RealSenseCameraConfig\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-W", "always::DeprecationWarning", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
    assert (
        "lerobot.cameras.opencv.configuration_opencv was renamed lerobot.cameras.opencv.config_opencv"
        in proc.stderr
    )


def test_sim_presets_are_the_devices_motor_tables():
    from lerobot.motors.sim import MULTI_BUS_PRESETS, ROBOT_PRESETS
    from lerobot.robots import Robot
    from lerobot.teleoperators import Teleoperator

    devices = {**Robot.registry, **Teleoperator.registry}
    for name, preset in ROBOT_PRESETS.items():
        table = devices[name].make_motors(True)
        assert preset == sorted((m.id, m.model) for m in table.values()), name
    assert dict(MULTI_BUS_PRESETS["aloha"]) == {"left": "viperx", "right": "viperx"}
    assert dict(MULTI_BUS_PRESETS["aloha_leader"]) == {"left": "widowx", "right": "widowx"}
    with pytest.raises(KeyError, match="No simulated-bus preset for device type 'nope'; known: "):
        ROBOT_PRESETS["nope"]
    # The simulator's code names no device type: every name comes from the registries.
    names = set(devices)
    for path in (LEROBOT / "motors" / "sim").glob("*.py"):
        tree = ast.parse(path.read_text())
        docstrings = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef)
            and n.body
            and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                assert not any(name in node.value for name in names), (path, node.value)
