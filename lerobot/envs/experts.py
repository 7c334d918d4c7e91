"""Scripted experts for the simulation tasks: demonstrations without a human (used by `make demo`).

`PushTExpert` pushes the T of gym-pusht toward the goal with the round pusher, reading the true block pose
from the simulator (`env.unwrapped.block`), which a learned policy does not see (it gets the 16 keypoint
coordinates and the pusher position). Per step it picks one of two modes:

- approach: go to the contact point `c - R·d` behind the block centre `c`, opposite the goal direction `d`,
  detouring sideways around the block when the pusher is on the goal side of it;
- push: aim `P` pixels past the contact point along `d` (the PD-controlled pusher follows the target).

It translates the block only (no turning), so it does not reach the 95% coverage of a success in most
episodes, but it brings the T over the goal far more often than random motion: its average max reward is
the reference the trained policy is compared with.
"""

from __future__ import annotations

import numpy as np

PUSHT_GOAL_XY = np.array([256.0, 256.0])


class PushTExpert:
    """Closed-loop pusher for `gym_pusht/PushT-v0` (actions: target pusher position in [0, 512]^2)."""

    def __init__(self, contact_radius: float = 75.0, push_depth: float = 40.0, tolerance: float = 14.0):
        if contact_radius <= 0 or push_depth <= 0 or tolerance <= 0:
            raise ValueError("contact_radius, push_depth and tolerance must be positive pixel distances.")
        self.contact_radius = contact_radius
        self.push_depth = push_depth
        self.tolerance = tolerance

    def __call__(self, env) -> np.ndarray:
        """Action for the current state of one gym-pusht env (the env itself, or a wrapper of it)."""
        sim = env.unwrapped
        block = np.array(sim.block.local_to_world(sim.block.center_of_gravity), dtype=np.float64)
        agent = np.array(sim.agent.position, dtype=np.float64)
        to_goal = PUSHT_GOAL_XY - block
        dist = np.linalg.norm(to_goal)
        if dist < 3.0:  # centred: hold still away from the block
            return agent.astype(np.float32)
        d = to_goal / dist
        contact = block - self.contact_radius * d
        rel = agent - block
        along = float(rel @ d)  # > 0: the pusher is on the goal side of the block
        if np.linalg.norm(agent - contact) <= self.tolerance or (
            along < -0.6 * self.contact_radius and abs(float(rel @ np.array([-d[1], d[0]]))) < 25.0
        ):
            target = contact + (self.push_depth + min(dist, 30.0)) * d
            return np.clip(target, 0, 512).astype(np.float32)
        if along > -0.5 * self.contact_radius:  # go around the block first, on the pusher's side
            side = np.array([-d[1], d[0]])
            if float(rel @ side) < 0:
                side = -side
            target = block + 1.4 * self.contact_radius * side - 0.6 * self.contact_radius * d
        else:
            target = contact
        # Targets depend on the block pose, not on small offsets from the pusher: easier to imitate.
        return np.clip(target, 0, 512).astype(np.float32)
