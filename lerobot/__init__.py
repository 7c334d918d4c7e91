"""lerobot: datasets, policies, simulation environments and robot drivers for real-world robot learning.

Importing the package is cheap: sub-packages (datasets, policies, envs, robots, ...) are imported on
demand, so optional dependencies of one feature never block another.

The lists below are derived from the registries of lerobot/registry.py (plugins included), computed when
read; they name registry entries and import nothing but the env configs for the two per-env tables:

    available_policies, available_envs, available_robots, available_teleoperators, available_cameras,
    available_motors          registered type names
    available_tasks_per_env   env type -> its gym tasks
    available_policies_per_env  env type -> policy types with pretrained checkpoints for it
"""

from typing import Any

__version__ = "0.1.0"

_NAME_LISTS = {
    "available_policies": "policies",
    "available_envs": "envs",
    "available_robots": "robots",
    "available_teleoperators": "teleoperators",
    "available_cameras": "cameras",
    "available_motors": "motors",
}


def __getattr__(name: str) -> Any:
    import importlib

    registry = importlib.import_module("lerobot.registry")

    if name in _NAME_LISTS:
        return registry.FAMILIES[_NAME_LISTS[name]].names()
    if name in ("available_tasks_per_env", "available_policies_per_env"):
        attr = "available_tasks" if name == "available_tasks_per_env" else "suggested_policies"
        return {env: list(getattr(registry.ENVS.config_class(env), attr)) for env in registry.ENVS.names()}
    raise AttributeError(f"module 'lerobot' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted([*globals(), *_NAME_LISTS, "available_tasks_per_env", "available_policies_per_env"])


# `lerobot.common.*` (the early README's import paths) resolves to today's modules with a deprecation
# warning: see lerobot/utils/import_aliases.py.
from lerobot.utils import import_aliases as _import_aliases  # noqa: E402

_import_aliases.install()
