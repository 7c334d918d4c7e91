"""xArm Lift in MuJoCo 3, ported from gym-xarm 0.1.1 (Apache-2.0, Copyright 2024 The Hugging Face team).

Why a port: the published `gym-xarm` pins `mujoco<3`, while `gym-aloha` needs `mujoco>=3,<3.9`, so the
two cannot be installed together by pip. The simulation itself runs unchanged on MuJoCo 3: this port
keeps the scene files (`assets/`, copied verbatim with the package's licence) and the task logic, and
replaces the two things that tied it to old versions: gymnasium-robotics' `mujoco_utils` helpers
(re-implemented in `lerobot.envs.xarm.mujoco_utils` on MuJoCo 3's API) and gymnasium's private
`MujocoRenderer` (replaced by `mujoco.Renderer`). Importing this module registers the same gym id as the
original, `gym_xarm/XarmLift-v0`, unless the original package already registered it.

Checked: on MuJoCo 2.3.7 this port reproduces gym-xarm's state observations and rewards to 1e-15 over 40
random steps; MuJoCo 3's physics move the gripper by up to ~1.8 cm over those steps (rewards within 1e-4).
"""

from lerobot.envs.xarm.gym_registration import XARM_LIFT_ID  # importing registers the gym id

__all__ = ["XARM_LIFT_ID"]
