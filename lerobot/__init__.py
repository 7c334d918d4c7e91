"""lerobot: datasets, policies, simulation environments and robot drivers for real-world robot learning.

Importing the package is cheap: sub-packages (datasets, policies, envs, robots, ...) are imported on
demand, so optional dependencies of one feature never block another.

The lists below are what this code base provides; they name registry entries, not imports.
"""

__version__ = "0.1.0"

# Simulation environments and their tasks (see `lerobot.envs`).
available_tasks_per_env = {
    "aloha": ["AlohaInsertion-v0", "AlohaTransferCube-v0"],
    "pusht": ["PushT-v0"],
    "xarm": ["XarmLift-v0"],
}
available_envs = list(available_tasks_per_env)

# Policy families, registered by `type` (see `lerobot.policies`).
available_policies = ["act", "diffusion", "tdmpc", "vqbet"]

available_policies_per_env = {
    "aloha": ["act"],
    "pusht": ["diffusion", "vqbet"],
    "xarm": ["tdmpc"],
}

# Robot types (see `lerobot.robots`).
available_robots = ["so100_follower", "koch_follower", "aloha", "lekiwi"]
available_cameras = ["opencv", "intelrealsense"]
available_motors = ["feetech", "dynamixel"]

# `lerobot.common.*` (the early README's import paths) resolves to today's modules with a deprecation
# warning: see lerobot/utils/import_aliases.py.
from lerobot.utils import import_aliases as _import_aliases  # noqa: E402

_import_aliases.install()
