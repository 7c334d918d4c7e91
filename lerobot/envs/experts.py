"""Scripted experts for the simulation tasks: demonstrations without a human (used by `make demo`).

`PushTExpert` solves gym-pusht's PushT (translate **and** rotate the T onto the goal pose, 95% coverage)
with the round pusher, reading the true block pose from the simulator (`env.unwrapped.block`), which a
learned policy does not see (it gets the 16 keypoint coordinates and the pusher position).

The physics it plans with (gym_pusht/envs/pusht.py): the pusher is a kinematic circle (radius 15) driven
to the action by a critically damped PD controller; the T (mass 1, moment 3000, centre of gravity 45 px
below the top of the bar) has space damping 0, so it stops as soon as it is not touched (quasi-static),
and its shapes have friction 0, so a push acts along the normal of the touched edge only. A push of `δ`
px along the inward normal `n` at a contact point `r` (from the centre of gravity) moves the centre by
`n·δ/D` and turns the T by `c·δ/(I·D)`, with `c = r × n` and `D = 1/m + c²/I`.

Every step it scores a fixed set of contact points on the T's edges by how well the motion of a push there
lines up with the pose error (position, and angle weighted by `angle_weight` px/rad), minus the travel to
reach it, and then either
- pushes (the pusher is at that contact): aims `δ` past the touching position along `n`, with `δ` the
  least-squares push for the error, between `min_push` and `max_push`. The PD-driven pusher covers only
  part of that distance in a step and the push is re-planned every step, so near the goal the T is swept
  slowly through the goal pose (success is reached on the way) rather than crept up to with pushes that
  fade to zero: the demonstrations hold no standstill that a learned policy would copy and get stuck in;
- or approaches: goes to the stand-off point in front of the contact round the T's convex hull inflated by
  the pusher radius (so the block is not disturbed on the way), always counter-clockwise (the shortest way
  only when a wall blocks that one), and keeps that contact until it reaches it while it still helps.
Going round one way and committing to the contact keep the demonstrations free of left/right choices that a
learned policy would average into a standstill. The push itself is re-planned every step from the block
pose, so a slipped push is corrected at the next step.
"""

from __future__ import annotations

import numpy as np

PUSHT_GOAL_POSE = np.array([256.0, 256.0, np.pi / 4])  # gym-pusht's goal: body position (x, y), angle
PUSHER_RADIUS = 15.0
ARENA = (20.0, 492.0)  # the pusher's centre stays inside the walls (5..506) minus its radius

# The T in its body frame (gym_pusht add_tee, scale 30): the bar y in [0, 30], the stem y in [30, 120].
_BOXES = np.array([[-60.0, 0.0, 60.0, 30.0], [-15.0, 30.0, 15.0, 120.0]])  # xmin, ymin, xmax, ymax
_HULL = np.array([[-60.0, 0.0], [60.0, 0.0], [60.0, 30.0], [15.0, 120.0], [-15.0, 120.0], [-60.0, 30.0]])
# Edges where the pusher can push: (start, end, outward normal), with the reachable span (a concave corner
# keeps the pusher a radius away from the stem or the bar).
_EDGES = [
    ((-55.0, 0.0), (55.0, 0.0), (0.0, -1.0)),  # bar top
    ((60.0, 3.0), (60.0, 27.0), (1.0, 0.0)),  # bar right end
    ((57.0, 30.0), (36.0, 30.0), (0.0, 1.0)),  # bar underside, right
    ((15.0, 54.0), (15.0, 115.0), (1.0, 0.0)),  # stem right
    ((12.0, 120.0), (-12.0, 120.0), (0.0, 1.0)),  # stem end
    ((-15.0, 115.0), (-15.0, 54.0), (-1.0, 0.0)),  # stem left
    ((-36.0, 30.0), (-57.0, 30.0), (0.0, 1.0)),  # bar underside, left
    ((-60.0, 27.0), (-60.0, 3.0), (-1.0, 0.0)),  # bar left end
]


def _rot(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def _wrap(angle: float) -> float:
    return float((angle + np.pi) % (2 * np.pi) - np.pi)


def _inflated_hull(radius: float) -> np.ndarray:
    """Vertices of the T's convex hull pushed out so that its edges keep `radius` from the hull."""
    n = len(_HULL)
    out = []
    for i in range(n):
        prev, cur, nxt = _HULL[i - 1], _HULL[i], _HULL[(i + 1) % n]
        normals = []
        for a, b in ((prev, cur), (cur, nxt)):
            d = (b - a) / np.linalg.norm(b - a)
            normals.append(np.array([d[1], -d[0]]))  # outward for this (counter-clockwise in y-down) order
        bis = normals[0] + normals[1]
        bis /= np.linalg.norm(bis)
        out.append(cur + bis * radius / float(bis @ normals[0]))
    return np.array(out)


class PushTExpert:
    """Closed-loop pusher for `gym_pusht/PushT-v0` (actions: target pusher position in [0, 512]^2)."""

    def __init__(
        self,
        angle_weight: float = 60.0,
        max_push: float = 30.0,
        standoff: float = 8.0,
        clearance: float = 4.0,
        travel_cost: float = 0.0015,
        samples_per_edge: int = 7,
        one_way: bool = True,
        min_push: float = 12.0,
    ):
        if angle_weight <= 0 or max_push <= 0 or standoff <= 0 or clearance <= 0 or travel_cost < 0:
            raise ValueError(
                "angle_weight, max_push, standoff and clearance must be positive pixel distances "
                "(travel_cost >= 0)."
            )
        if not 0 <= min_push <= max_push:
            raise ValueError(f"min_push must be in [0, max_push={max_push}] pixels, got {min_push}.")
        if samples_per_edge < 1:
            raise ValueError(f"samples_per_edge must be >= 1, got {samples_per_edge}.")
        self.angle_weight = angle_weight
        self.max_push = max_push
        self.standoff = standoff
        self.clearance = clearance
        self.travel_cost = travel_cost
        self.one_way = one_way
        self.min_push = min_push
        self._episode, self._committed = None, None
        # Contact candidates in the body frame: points, outward normals.
        pts, normals = [], []
        for a, b, n in _EDGES:
            for t in np.linspace(0.0, 1.0, samples_per_edge):
                pts.append((1 - t) * np.array(a) + t * np.array(b))
                normals.append(n)
        self._pts, self._normals = np.array(pts), np.array(normals)
        self._hull = _inflated_hull(PUSHER_RADIUS + clearance + 6.0)

    # ----- geometry ------------------------------------------------------------------------------------------
    @staticmethod
    def _gap(points: np.ndarray, pose_inv) -> np.ndarray:
        """Distance from each world point (S, 2) to the T, and the nearest point of the T (world)."""
        origin, rot_t = pose_inv
        local = (points - origin) @ rot_t.T  # (S, 2) in the body frame
        lo, hi = _BOXES[None, :, :2], _BOXES[None, :, 2:]
        nearest = np.clip(local[:, None], lo, hi)  # (S, 2 boxes, 2)
        dist = np.linalg.norm(local[:, None] - nearest, axis=-1)
        best = dist.argmin(axis=1)
        idx = np.arange(len(points))
        return dist[idx, best], origin + nearest[idx, best] @ rot_t

    def _clear(self, a: np.ndarray, b: np.ndarray, pose_inv) -> bool:
        """Whether the pusher can travel from a to b (world) without touching the T."""
        ts = np.linspace(0.0, 1.0, max(2, int(np.linalg.norm(b - a) / 4.0) + 1))[:, None]
        gap, _ = self._gap(a + ts * (b - a), pose_inv)
        return bool(gap.min() >= PUSHER_RADIUS + self.clearance * 0.5)

    def _ccw_target(
        self, agent: np.ndarray, goal: np.ndarray, normal: np.ndarray, cog, origin, rot, pose_inv
    ) -> np.ndarray | None:
        """Next waypoint when going round the T counter-clockwise only (one way round: no left/right choice
        for a learner to average); None when a hull vertex on the way is outside the arena (walls)."""
        entry = goal + normal * 40.0
        for end in (goal, entry):
            if self._clear(agent, end, pose_inv):
                return end
        hull = origin + self._hull @ rot.T
        ang = np.arctan2(*(hull - cog).T[::-1])
        a_agent = float(np.arctan2(*(agent - cog)[::-1]))
        a_entry = float(np.arctan2(*(entry - cog)[::-1]))
        ahead = (ang - a_agent) % (2 * np.pi)  # counter-clockwise angle from the agent to each vertex
        span = (a_entry - a_agent) % (2 * np.pi)
        on_way = ahead <= span
        if not ((ARENA[0] <= hull[on_way]).all() and (hull[on_way] <= ARENA[1]).all()):
            return None  # a wall is in the way: the caller takes the shortest way round
        target = None
        for i in np.argsort(ahead):  # the furthest vertex on the way that the pusher can go straight to
            if ahead[i] > span:
                break
            if np.linalg.norm(hull[i] - agent) >= 10.0 and not self._clear(agent, hull[i], pose_inv):
                break
            target = hull[i]
        return target

    def _path_target(
        self, agent: np.ndarray, goal: np.ndarray, normal: np.ndarray, origin, rot, pose_inv
    ) -> np.ndarray:
        """Next waypoint of the shortest path from agent to goal (a stand-off point in front of an edge of
        outward normal `normal`) through the inflated hull's vertices and two points further out along the
        normal (the way in to a contact inside the T's concave corners)."""
        if self._clear(agent, goal, pose_inv):
            return goal
        gap, nearest = self._gap(agent[None], pose_inv)
        if gap[0] < PUSHER_RADIUS + self.clearance:  # too close to travel around: back off first
            away = agent - nearest[0]
            away /= max(float(np.linalg.norm(away)), 1e-9)
            return agent + away * (PUSHER_RADIUS + 2 * self.clearance - gap[0] + 4.0)
        hull = origin + self._hull @ rot.T
        nodes = [agent, goal, *hull, goal + normal * 20.0, goal + normal * 40.0]
        n = len(nodes)
        inside = [(ARENA[0] <= p).all() and (p <= ARENA[1]).all() for p in nodes]
        dist = np.full(n, np.inf)
        dist[1] = 0.0
        prev = np.full(n, -1)
        done = np.zeros(n, bool)
        for _ in range(n):  # Dijkstra from the goal, so prev[] points toward it
            i = int(np.argmin(np.where(done, np.inf, dist)))
            if not np.isfinite(dist[i]):
                break
            done[i] = True
            for j in range(n):
                if done[j] or not inside[j] or (j == 0 and i == 1):
                    continue
                hi, hj = i - 2, j - 2
                adjacent = 0 <= hi < len(hull) and 0 <= hj < len(hull) and abs(hi - hj) in (1, len(hull) - 1)
                if adjacent or self._clear(nodes[i], nodes[j], pose_inv):
                    d = dist[i] + float(np.linalg.norm(nodes[i] - nodes[j]))
                    if d < dist[j]:
                        dist[j], prev[j] = d, i
        if not np.isfinite(dist[0]) or prev[0] < 0:  # no way found (walls): head for the way in
            return goal + normal * 40.0
        nxt = int(prev[0])
        if nxt != 1 and np.linalg.norm(nodes[nxt] - agent) < 10.0:  # reached: aim at the one after
            nxt = int(prev[nxt])
        return nodes[nxt]

    # ----- policy -----------------------------------------------------------------------------------------------
    def __call__(self, env) -> np.ndarray:
        """Action for the current state of one gym-pusht env (the env itself, or a wrapper of it)."""
        sim = env.unwrapped
        agent = np.array(sim.agent.position, dtype=np.float64)
        origin = np.array(sim.block.position, dtype=np.float64)
        angle = float(sim.block.angle)
        if self._episode is not sim.block:  # a reset builds a new simulation: forget the committed contact
            self._episode, self._committed = sim.block, None
        return self.act(agent, origin, angle, float(sim.block.mass), float(sim.block.moment))

    def reset(self) -> None:
        """Forget the contact committed to (done automatically when the env is reset)."""
        self._episode, self._committed = None, None

    def act(self, agent, origin, angle, mass: float = 1.0, moment: float = 3000.0) -> np.ndarray:
        rot = _rot(angle)
        pose_inv = (origin, rot.T)
        cog_local = np.array([0.0, 45.0])
        cog = origin + rot @ cog_local
        goal_rot = _rot(PUSHT_GOAL_POSE[2])
        goal_cog = PUSHT_GOAL_POSE[:2] + goal_rot @ cog_local
        w = self.angle_weight
        err = np.array([*(goal_cog - cog), w * _wrap(PUSHT_GOAL_POSE[2] - angle)])

        pts = origin + self._pts @ rot.T  # (K, 2) contact points, world
        n_out = self._normals @ rot.T
        n_in = -n_out
        r = pts - cog
        c = r[:, 0] * n_in[:, 1] - r[:, 1] * n_in[:, 0]
        d = 1.0 / mass + c**2 / moment
        g = np.stack([n_in[:, 0] / d, n_in[:, 1] / d, w * c / (moment * d)], axis=1)  # motion per px pushed
        gnorm = np.linalg.norm(g, axis=1)
        enorm = float(np.linalg.norm(err))
        cos = g @ err / (gnorm * max(enorm, 1e-9))
        touch = pts + n_out * PUSHER_RADIUS
        standoff = pts + n_out * (PUSHER_RADIUS + self.standoff)
        # At a contact: within the corridor in front of it (lateral <= 4 px, from touching to the stand-off).
        rel = agent - pts
        along = np.einsum("kd,kd->k", rel, n_out)
        lateral = np.abs(rel[:, 0] * n_out[:, 1] - rel[:, 1] * n_out[:, 0])
        at = (lateral <= 8.0) & (along <= PUSHER_RADIUS + self.standoff + 4.0) & (along >= PUSHER_RADIUS - 8)
        travel = np.where(at, 0.0, np.linalg.norm(standoff - agent, axis=1))
        feasible = ((standoff >= ARENA[0]) & (standoff <= ARENA[1])).all(axis=1) & (cos > 0.15)
        score = np.where(feasible, cos - self.travel_cost * travel, -np.inf)
        k = int(np.argmax(score))
        # On the way to a contact, keep it while it still helps (no dithering between two ways round).
        if self._committed is not None and not at[k] and feasible[self._committed]:
            k = self._committed
        self._committed = None if at[k] else k
        if at[k]:
            push = float(g[k] @ err) / float(gnorm[k] ** 2)
            push = float(np.clip(push, self.min_push, self.max_push))
            target = touch[k] + n_in[k] * push
        else:
            gap, nearest = self._gap(agent[None], pose_inv)
            if gap[0] < PUSHER_RADIUS + self.clearance and not self._clear(agent, standoff[k], pose_inv):
                away = agent - nearest[0]  # too close to travel round: back off first
                away /= max(float(np.linalg.norm(away)), 1e-9)
                target = agent + away * (PUSHER_RADIUS + 2 * self.clearance - gap[0] + 4.0)
            else:
                target = None
                if self.one_way:
                    target = self._ccw_target(agent, standoff[k], n_out[k], cog, origin, rot, pose_inv)
                if target is None:
                    target = self._path_target(agent, standoff[k], n_out[k], origin, rot, pose_inv)
        return np.clip(target, 0, 512).astype(np.float32)
