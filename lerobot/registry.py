"""The registries of every pluggable family, keyed by `type` name and imported on first use.

    POLICIES       --policy.type    config (PreTrainedConfig)    class (PreTrainedPolicy)
    ENVS           --env.type       config (EnvConfig)           (gym ids registered by the env's package)
    ROBOTS         --robot.type     config (RobotConfig)         class (Robot)
    TELEOPERATORS  --teleop.type    config (TeleoperatorConfig)  class (Teleoperator)
    CAMERAS        cameras' `type`  config (CameraConfig)        class (Camera)
    MOTOR_BUSES    bus vendor       -                            class (MotorsBus)

Each built-in entry below is a pair of `"module:Attribute"` strings: listing the names (the
`lerobot.available_*` lists, `--help`, a did-you-mean) imports nothing, and looking one type up imports
only its own modules, so a family's optional dependencies (a simulator, a camera SDK, torch) are needed
only by whoever uses it. This file imports nothing but the standard library.

Plugins defined outside the package register the same way, with strings or the objects themselves
(docs/contributing.md walks through a whole policy)::

    from lerobot.registry import POLICIES
    POLICIES.register("toy", config="my_pkg.configuration_toy:ToyConfig", cls="my_pkg.modeling_toy:ToyPolicy")

An installed top-level package named `lerobot_<family>_*` (`lerobot_policy_toy`, `lerobot_robot_x`,
`lerobot_teleoperator_x`, `lerobot_camera_x`, `lerobot_env_x`, `lerobot_motors_x`) is imported the first
time its family is listed or asked for a name it does not know, so registering in its `__init__.py` is
enough; `--<field>.discover_packages_path=<package>` imports any other package first
(lerobot/configs/parser.py).

The draccus side: the config bases (`PreTrainedConfig`, `EnvConfig`, `RobotConfig`, `TeleoperatorConfig`,
`CameraConfig`) mix in `RegisteredChoice`, so draccus' choice lookups (`--robot.type=x`, a `type:` key in
a config file) go through these tables, and `@RobotConfig.register_subclass("x")` also registers "x"
here. Base classes with a `name` (`Robot`, `Teleoperator`, `Camera`) register their subclasses' classes
and expose `Robot.registry`, a name -> class mapping that imports on access (`Registry.classes`).
"""

from __future__ import annotations

import difflib
import functools
import importlib
import pkgutil
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

_REF = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


class UnknownTypeError(KeyError, ValueError):
    """An unregistered type name (a KeyError for draccus' choice lookups, a ValueError for callers)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _ref(obj: Any) -> str:
    return f"{obj.__module__}:{obj.__qualname__}" if hasattr(obj, "__qualname__") else repr(obj)


def _same(existing: str | type, new: type) -> bool:
    """Whether `new` is the object `existing` designates (a built-in table names the re-exporting package,
    `lerobot.robots.so100_follower:SO100Follower`, while the class lives in a module below it)."""
    if not isinstance(existing, str):
        return existing is new
    module, _, attr = existing.partition(":")
    return attr == new.__qualname__ and (new.__module__ == module or new.__module__.startswith(module + "."))


def load(ref: str | type) -> Any:
    """The object `"package.module:Attribute"` names (imported now), or `ref` itself if it is one."""
    if not isinstance(ref, str):
        return ref
    module, sep, attr = ref.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"Registry reference {ref!r} must read 'package.module:Attribute'.")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ImportError(f"{module} defines no {attr} (registry reference {ref!r}).") from None
    return obj


@functools.lru_cache(maxsize=8)
def _top_level_modules(path: tuple[str, ...]) -> tuple[str, ...]:
    """Names of the top-level modules importable from `path` (one scan per value of sys.path)."""
    return tuple(m.name for m in pkgutil.iter_modules(list(path)))


@dataclass
class Entry:
    """One registered type: where its config class and its class are (a "module:Attr" string until used)."""

    config: str | type | None = None
    cls: str | type | None = None


class Registry:
    """Type name -> `Entry`, for one family. Lookups import on first use and cache the object."""

    def __init__(self, family: str, plugin_prefix: str, builtins: dict[str, tuple[str | None, ...]]):
        self.family = family  # "policy", "robot", ...: used in messages
        self.plugin_prefix = plugin_prefix  # installed packages with this prefix register plugins
        self._entries: dict[str, Entry] = {name: Entry(*refs) for name, refs in builtins.items()}
        self._plugins_imported: set[str] = set()
        self.classes: Mapping[str, type] = _ClassView(self)

    def __repr__(self) -> str:
        return f"Registry({self.family!r}, {sorted(self._entries)})"

    # ----- registration -------------------------------------------------------------------------------
    def register(self, name: str, *, config: str | type | None = None, cls: str | type | None = None) -> None:
        """Register `name` (or complete its entry): `config` and `cls` are the objects or "module:Attr"
        strings. Registering a different object under a taken name is an error naming both."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"A {self.family} type name must be a non-empty string, got {name!r}.")
        for value in (config, cls):
            if isinstance(value, str) and not _REF.fullmatch(value):
                raise ValueError(f"Registry reference {value!r} must read 'package.module:Attribute'.")
        entry = self._entries.setdefault(name, Entry())
        for slot, value in (("config", config), ("cls", cls)):
            if value is None:
                continue
            current = getattr(entry, slot)
            if current is None or current == value:
                setattr(entry, slot, value)
            elif not isinstance(value, str) and _same(current, value):
                setattr(entry, slot, value)  # the object its string named, now imported
            elif not (isinstance(value, str) and not isinstance(current, str) and _same(value, current)):
                raise ValueError(
                    f"The {self.family} type '{name}' is already registered with {slot} {_describe(current)}; "
                    f"cannot register {_describe(value)} under the same name: pick another name."
                )

    def unregister(self, name: str) -> None:
        """Remove `name` (a test's or a plugin's own registration)."""
        self._entries.pop(name, None)

    # ----- listing ------------------------------------------------------------------------------------
    def names(self) -> list[str]:
        """Every registered type name, sorted (installed `lerobot_<family>_*` plugins included)."""
        self.discover_plugins()
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        if name not in self._entries:
            self.discover_plugins()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def discover_plugins(self) -> list[str]:
        """Import the installed top-level packages named `<plugin_prefix>*` not imported yet; their names."""
        found = [
            name
            for name in _top_level_modules(tuple(sys.path))
            if name.startswith(self.plugin_prefix) and name not in self._plugins_imported
        ]
        for module in found:
            self._plugins_imported.add(module)
            try:
                importlib.import_module(module)
            except Exception as e:
                raise ImportError(
                    f"The {self.family} plugin package '{module}' (imported because its name starts with "
                    f"'{self.plugin_prefix}') failed to import: {type(e).__name__}: {e}"
                ) from e
        return found

    # ----- lookup -------------------------------------------------------------------------------------
    def entry(self, name: str) -> Entry:
        """The entry of `name`; an `UnknownTypeError` with the known names and a did-you-mean otherwise."""
        if name not in self._entries:
            self.discover_plugins()
        if name not in self._entries:
            known = sorted(self._entries)
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise UnknownTypeError(f"Unknown {self.family} type '{name}'. Known types: {known}.{hint}")
        return self._entries[name]

    def config_class(self, name: str) -> type:
        """The config class registered as `name` (its module imported now)."""
        return self._resolve(name, "config")

    def get_class(self, name: str) -> type:
        """The class registered as `name` (the policy, robot, camera, bus ... class), imported now."""
        return self._resolve(name, "cls")

    def _resolve(self, name: str, slot: str) -> type:
        entry = self.entry(name)
        ref = getattr(entry, slot)
        if ref is None:
            what = "config class" if slot == "config" else "class"
            raise LookupError(f"{self.family} type '{name}' registers no {what}.")
        obj = load(ref)
        if getattr(entry, slot) is ref:  # the import did not register it itself
            setattr(entry, slot, obj)
        return obj


def _describe(value: str | type) -> str:
    return repr(value) if isinstance(value, str) else _ref(value)


class _ClassView(Mapping):
    """Read-only name -> class mapping over a registry; a class is imported when it is looked up."""

    def __init__(self, registry: Registry):
        self._registry = registry

    def __getitem__(self, name: str) -> type:
        if name not in self._registry._entries or self._registry._entries[name].cls is None:
            self._registry.entry(name)  # raises UnknownTypeError
            raise UnknownTypeError(f"{self._registry.family} type '{name}' registers no class.")
        return self._registry.get_class(name)

    def __iter__(self) -> Iterator[str]:
        return iter([n for n in self._registry.names() if self._registry._entries[n].cls is not None])

    def __len__(self) -> int:
        return len(list(iter(self)))

    def __contains__(self, name: object) -> bool:
        entry = self._registry._entries.get(name) if isinstance(name, str) else None
        return entry is not None and entry.cls is not None


class RegisteredChoice:
    """Mixin for a draccus choice base: `class RobotConfig(RegisteredChoice, draccus.ChoiceRegistry)` with
    `type_registry: ClassVar[Registry] = ROBOTS`. draccus then finds every registered type, imported when
    chosen (`get_choice_class`) or when all are listed (`get_known_choices`, for `--help`)."""

    type_registry: ClassVar[Registry]

    @classmethod
    def get_choice_class(cls, name: str) -> Any:
        config_cls = cls.type_registry.config_class(name)
        choices = super().get_known_choices()  # draccus' own table (filled by register_subclass)
        if choices.get(name) is not config_cls:
            super().register_subclass(name, config_cls)
        return config_cls

    @classmethod
    def get_known_choices(cls) -> dict[str, Any]:
        registry = cls.type_registry
        for name in registry.names():
            if registry.entry(name).config is not None:
                cls.get_choice_class(name)
        return super().get_known_choices()

    @classmethod
    def register_subclass(cls, name: str, choice_type: type | None = None) -> Any:
        if choice_type is None:
            return functools.partial(cls.register_subclass, name)
        cls.type_registry.register(name, config=choice_type)
        return super().register_subclass(name, choice_type)

    @classmethod
    def unregister_subclass(cls, name: str) -> None:
        """Remove `name` from the registry and from draccus' table (a test's or a plugin's own type)."""
        cls.type_registry.unregister(name)
        super().get_known_choices().pop(name, None)


# ----- the built-in types ----------------------------------------------------------------------------------
# name -> ("module:ConfigClass", "module:Class"). A new policy, env, robot, ... adds one line here
# (docs/contributing.md); tests/test_registry.py then constructs it with the rest.

POLICIES = Registry(
    "policy",
    "lerobot_policy_",
    {
        "act": (
            "lerobot.policies.act.configuration_act:ACTConfig",
            "lerobot.policies.act.modeling_act:ACTPolicy",
        ),
        "diffusion": (
            "lerobot.policies.diffusion.configuration_diffusion:DiffusionConfig",
            "lerobot.policies.diffusion.modeling_diffusion:DiffusionPolicy",
        ),
        "tdmpc": (
            "lerobot.policies.tdmpc.configuration_tdmpc:TDMPCConfig",
            "lerobot.policies.tdmpc.modeling_tdmpc:TDMPCPolicy",
        ),
        "vqbet": (
            "lerobot.policies.vqbet.configuration_vqbet:VQBeTConfig",
            "lerobot.policies.vqbet.modeling_vqbet:VQBeTPolicy",
        ),
    },
)

ENVS = Registry(
    "env",
    "lerobot_env_",
    {
        "aloha": ("lerobot.envs.configs:AlohaEnv", None),
        "pusht": ("lerobot.envs.configs:PushtEnv", None),
        "xarm": ("lerobot.envs.configs:XarmEnv", None),
    },
)

ROBOTS = Registry(
    "robot",
    "lerobot_robot_",
    {
        "so100_follower": (
            "lerobot.robots.so100_follower:SO100FollowerConfig",
            "lerobot.robots.so100_follower:SO100Follower",
        ),
        "koch_follower": (
            "lerobot.robots.koch_follower:KochFollowerConfig",
            "lerobot.robots.koch_follower:KochFollower",
        ),
        "viperx": ("lerobot.robots.viperx:ViperXConfig", "lerobot.robots.viperx:ViperX"),
        "aloha": ("lerobot.robots.aloha:AlohaConfig", "lerobot.robots.aloha:Aloha"),
        "lekiwi": ("lerobot.robots.lekiwi:LeKiwiConfig", "lerobot.robots.lekiwi:LeKiwi"),
        "lekiwi_client": ("lerobot.robots.lekiwi:LeKiwiClientConfig", "lerobot.robots.lekiwi:LeKiwiClient"),
    },
)

TELEOPERATORS = Registry(
    "teleoperator",
    "lerobot_teleoperator_",
    {
        "so100_leader": (
            "lerobot.teleoperators.so100_leader:SO100LeaderConfig",
            "lerobot.teleoperators.so100_leader:SO100Leader",
        ),
        "koch_leader": (
            "lerobot.teleoperators.koch_leader:KochLeaderConfig",
            "lerobot.teleoperators.koch_leader:KochLeader",
        ),
        "widowx": ("lerobot.teleoperators.widowx:WidowXConfig", "lerobot.teleoperators.widowx:WidowX"),
        "aloha_leader": (
            "lerobot.teleoperators.aloha_leader:AlohaLeaderConfig",
            "lerobot.teleoperators.aloha_leader:AlohaLeader",
        ),
        "lekiwi_leader": (
            "lerobot.teleoperators.lekiwi_leader:LeKiwiLeaderConfig",
            "lerobot.teleoperators.lekiwi_leader:LeKiwiLeader",
        ),
        "keyboard": (
            "lerobot.teleoperators.keyboard:KeyboardTeleopConfig",
            "lerobot.teleoperators.keyboard:KeyboardTeleop",
        ),
    },
)

CAMERAS = Registry(
    "camera",
    "lerobot_camera_",
    {
        "opencv": ("lerobot.cameras.opencv:OpenCVCameraConfig", "lerobot.cameras.opencv:OpenCVCamera"),
        "intelrealsense": (
            "lerobot.cameras.realsense:RealSenseCameraConfig",
            "lerobot.cameras.realsense:RealSenseCamera",
        ),
    },
)

MOTOR_BUSES = Registry(
    "motor bus",
    "lerobot_motors_",
    {
        "feetech": (None, "lerobot.motors.feetech:FeetechMotorsBus"),
        "dynamixel": (None, "lerobot.motors.dynamixel:DynamixelMotorsBus"),
    },
)

FAMILIES: dict[str, Registry] = {
    "policies": POLICIES,
    "envs": ENVS,
    "robots": ROBOTS,
    "teleoperators": TELEOPERATORS,
    "cameras": CAMERAS,
    "motors": MOTOR_BUSES,
}
