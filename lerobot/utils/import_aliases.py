"""The early README's import paths (`lerobot.common.<package>.<module>`) as aliases of today's modules.

    import lerobot.common.policies.act.modeling_act      # DeprecationWarning: ... moved to lerobot.policies
    from lerobot.common.datasets.lerobot_dataset import LeRobotDataset   # the same class object

Until July 2025 the library lived in `lerobot/common/{datasets,envs,policies,robot_devices,utils}`; those
packages are today's `lerobot/{datasets,envs,policies,...}`. A finder at the front of `sys.meta_path`
maps every `lerobot.common.*` name through `ALIASES` (longest matching prefix) and hands back the module
object of the new name, so there is one copy of each module and `isinstance` checks hold across both
names. One DeprecationWarning per `ALIASES` entry used, naming the new path. Names whose new module does
not exist raise ModuleNotFoundError naming both paths. Installed by `lerobot/__init__.py`.

`RENAMED` does the same for single modules renamed inside today's layout: the device families name their
files by one scheme (`config_<name>.py`, `<name>.py`; docs/devices.md), and the camera modules' earlier
names (the reference's `configuration_opencv`, `camera_opencv`, ...) stay importable.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings

OLD_ROOT = "lerobot.common"
# Old package prefix -> new one. `None`: an old package with no single counterpart (an empty namespace
# whose sub-packages map one by one).
ALIASES: dict[str, str | None] = {
    "lerobot.common": None,
    "lerobot.common.datasets": "lerobot.datasets",
    "lerobot.common.policies": "lerobot.policies",
    "lerobot.common.envs": "lerobot.envs",
    "lerobot.common.utils": "lerobot.utils",
    "lerobot.common.optim": "lerobot.optim",
    "lerobot.common.robot_devices": None,
    "lerobot.common.robot_devices.motors": "lerobot.motors",
    "lerobot.common.robot_devices.cameras": "lerobot.cameras",
    "lerobot.common.robot_devices.cameras.intelrealsense": "lerobot.cameras.realsense",
    "lerobot.common.robot_devices.robots": "lerobot.robots",
    # the v2.1 robot configs (So100RobotConfig, KochRobotConfig, ... for control_robot.py)
    "lerobot.common.robot_devices.robots.configs": "lerobot.legacy.devices",
}

# Old module name -> new one, exact names (no sub-modules).
RENAMED: dict[str, str] = {
    "lerobot.cameras.opencv.configuration_opencv": "lerobot.cameras.opencv.config_opencv",
    "lerobot.cameras.opencv.camera_opencv": "lerobot.cameras.opencv.opencv",
    "lerobot.cameras.realsense.configuration_realsense": "lerobot.cameras.realsense.config_realsense",
    "lerobot.cameras.realsense.camera_realsense": "lerobot.cameras.realsense.realsense",
}


def new_name(old: str) -> tuple[str | None, str]:
    """(today's module name or None for an empty namespace, the ALIASES key that mapped it)."""
    parts = old.split(".")
    for n in range(len(parts), 1, -1):
        key = ".".join(parts[:n])
        if key in ALIASES:
            target = ALIASES[key]
            if target is None:
                if n != len(parts):
                    raise ModuleNotFoundError(
                        f"No module named {old!r}: {key} has no such sub-package in today's layout "
                        f"(its sub-packages: {', '.join(k for k in ALIASES if k.startswith(key + '.'))}).",
                        name=old,
                    )
                return None, key
            return ".".join([target, *parts[n:]]), key
    raise ModuleNotFoundError(f"No module named {old!r}", name=old)


def _importer_stacklevel() -> int:
    """The `stacklevel` of the frame that wrote the import statement. `warnings.warn` does not count
    importlib's frames, so only this file's are counted here."""
    frame, level = sys._getframe(1), 1
    while frame is not None and (
        frame.f_code.co_filename.startswith("<frozen importlib") or frame.f_code.co_filename == __file__
    ):
        if frame.f_code.co_filename == __file__ and frame is not sys._getframe(1):
            level += 1
        frame = frame.f_back
    return level + 1


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str | None, key: str):
        self.target, self.key = target, key

    def create_module(self, spec):
        if self.target is None:
            module = types.ModuleType(spec.name, f"Empty namespace kept for the old import path {spec.name}.")
            module.__path__ = []
            return module
        if spec.name == self.key:
            renamed = self.key in RENAMED
            warnings.warn(
                f"{self.key} was renamed {self.target}."
                if renamed
                else f"{self.key} moved to {self.target}: import {self.target}.<module> instead of "
                f"{self.key}.<module>.",
                DeprecationWarning,
                stacklevel=_importer_stacklevel(),
            )
        return importlib.import_module(self.target)  # the existing module object, attributes untouched

    def exec_module(self, module):
        pass


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in RENAMED:
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(RENAMED[fullname], fullname))
        if fullname != OLD_ROOT and not fullname.startswith(OLD_ROOT + "."):
            return None
        new, key = new_name(fullname)
        if new is not None and importlib.util.find_spec(new) is None:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: its new path {new} does not exist either.", name=fullname
            )
        is_package = new is None or importlib.util.find_spec(new).submodule_search_locations is not None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(new, key), is_package=is_package)


def install() -> None:
    """Put the alias finder first on `sys.meta_path` (idempotent)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())
