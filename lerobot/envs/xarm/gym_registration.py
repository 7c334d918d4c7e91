"""Registers the port's gym id, `gym_xarm/XarmLift-v0` (imported by `lerobot.envs.xarm`), unless the original
`gym-xarm` package already registered it."""

from gymnasium.envs.registration import register, registry

XARM_LIFT_ID = "gym_xarm/XarmLift-v0"

if XARM_LIFT_ID not in registry:
    register(
        id=XARM_LIFT_ID,
        entry_point="lerobot.envs.xarm.lift:Lift",
        max_episode_steps=300,
        kwargs={"obs_type": "state"},
    )
