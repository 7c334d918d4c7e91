"""xArm Lift task (port of gym-xarm 0.1.1 `tasks/base.py`, `tasks/lift.py`, `tasks/mocap.py`).

The simulation, reward, success test and observations follow the original line by line; departures:
- rendering uses `mujoco.Renderer` (one renderer per image size) instead of gymnasium's private
  `MujocoRenderer`, whose signature changed across gymnasium releases;
- actions outside the [-1, 1] box are clipped instead of failing an `assert` (a policy may overshoot);
- the `assert`s on shapes are `ValueError`s with a message.

Observation (`obs_type`): "state" (float64 (28,)), "pixels" (uint8 (84, 84, 3)) or "pixels_agent_pos"
(dict: `pixels` uint8 (84, 84, 3), `agent_pos` float64 (4,) = end-effector xyz + gripper angle).
Action: float32 (4,) = end-effector xyz delta + gripper command, in [-1, 1].
"""

from pathlib import Path

import gymnasium as gym
import mujoco
import numpy as np

from lerobot.envs.xarm import mujoco_utils as mu

ASSETS_DIR = Path(__file__).parent / "assets"
OBS_TYPES = ("state", "pixels", "pixels_agent_pos")


def _reset_mocap_welds(model: mujoco.MjModel, data: mujoco.MjData) -> None:
    if model.nmocap > 0 and model.eq_data is not None:
        for i in range(model.eq_data.shape[0]):
            if model.eq_type[i] == mujoco.mjtEq.mjEQ_WELD:
                model.eq_data[i, :8] = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0])
    mujoco.mj_forward(model, data)


def _reset_mocap2body_xpos(model: mujoco.MjModel, names: dict[int, str], data: mujoco.MjData) -> None:
    for eq_type, obj1_id, obj2_id in zip(model.eq_type, model.eq_obj1id, model.eq_obj2id):
        if eq_type != mujoco.mjtEq.mjEQ_WELD:
            continue
        if names[obj2_id] in ("B0", "B9", "B1"):
            continue
        mocap_id = model.body_mocapid[obj1_id]
        if mocap_id != -1:
            body_idx = obj2_id  # obj1 is the mocap, obj2 the welded body
        else:
            mocap_id = model.body_mocapid[obj2_id]
            body_idx = obj1_id
        data.mocap_pos[mocap_id][:] = data.xpos[body_idx]
        data.mocap_quat[mocap_id][:] = data.xquat[body_idx]


def _apply_mocap_action(model, names, data, action: np.ndarray) -> None:
    if model.nmocap > 0:
        pos_action, gripper_action = np.split(action, (model.nmocap * 7,))
        for i in range(gripper_action.shape[0]):
            data.ctrl[i] = gripper_action[i]
        pos_action = pos_action.reshape(model.nmocap, 7)
        pos_delta, quat_delta = pos_action[:, :3], pos_action[:, 3:]
        _reset_mocap2body_xpos(model, names, data)
        data.mocap_pos[:] = data.mocap_pos + pos_delta
        data.mocap_quat[:] = data.mocap_quat + quat_delta


class Lift(gym.Env):
    """Lift a cube above a height threshold (xArm 7 with a parallel gripper, 25 Hz control)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 25}
    n_substeps = 20

    def __init__(
        self,
        obs_type: str = "state",
        render_mode: str = "rgb_array",
        gripper_rotation=None,
        observation_width: int = 84,
        observation_height: int = 84,
        visualization_width: int = 680,
        visualization_height: int = 680,
    ):
        if obs_type not in OBS_TYPES:
            raise ValueError(
                f"Unknown obs_type {obs_type!r} for XarmLift; expected one of {list(OBS_TYPES)}."
            )
        if render_mode != "rgb_array":
            raise ValueError(f"XarmLift only renders render_mode='rgb_array', got {render_mode!r}.")
        self.gripper_rotation = np.array(gripper_rotation or [0, 1, 0, 0], dtype=np.float32)
        self.center_of_table = np.array([1.655, 0.3, 0.63625])
        self.max_z = 1.2
        self.min_z = 0.2
        self._z_threshold = 0.15
        self._action = np.zeros(4)
        self.obs_type = obs_type
        self.render_mode = render_mode
        self.observation_width = observation_width
        self.observation_height = observation_height
        self.visualization_width = visualization_width
        self.visualization_height = visualization_height

        self.model = mujoco.MjModel.from_xml_path(str(ASSETS_DIR / "lift.xml"))
        self.data = mujoco.MjData(self.model)
        self._body_names = mu.body_id2name(self.model)
        # The offscreen buffer must hold the largest image rendered.
        self.model.vis.global_.offwidth = max(observation_width, visualization_width)
        self.model.vis.global_.offheight = max(observation_height, visualization_height)
        self._renderers: dict[tuple[int, int], mujoco.Renderer] = {}

        _reset_mocap_welds(self.model, self.data)
        self._sample_goal()
        mujoco.mj_forward(self.model, self.data)
        self.initial_time = self.data.time
        self.initial_qpos = np.copy(self.data.qpos)
        self.initial_qvel = np.copy(self.data.qvel)

        self.observation_space = self._observation_space()
        self.action_space = gym.spaces.Box(low=-1.0, high=1.0, shape=(4,))
        if int(np.round(1.0 / self.dt)) != self.metadata["render_fps"]:
            raise RuntimeError(f"xArm scene timestep gives {1.0 / self.dt} Hz, expected 25 Hz.")

    # --- spaces and state -------------------------------------------------------------------------
    def _observation_space(self) -> gym.spaces.Space:
        image = gym.spaces.Box(0, 255, (self.observation_height, self.observation_width, 3), np.uint8)
        if self.obs_type == "state":
            return gym.spaces.Box(-1000.0, 1000.0, shape=self._state_obs().shape, dtype=np.float64)
        if self.obs_type == "pixels":
            return image
        agent_pos = gym.spaces.Box(-1000.0, 1000.0, shape=self.robot_state.shape, dtype=np.float64)
        return gym.spaces.Dict({"pixels": image, "agent_pos": agent_pos})

    @property
    def dt(self) -> float:
        return self.n_substeps * self.model.opt.timestep

    @property
    def eef(self) -> np.ndarray:
        return mu.get_site_xpos(self.model, self.data, "grasp") - self.center_of_table

    @property
    def eef_velp(self) -> np.ndarray:
        return mu.get_site_xvelp(self.model, self.data, "grasp") * self.dt

    @property
    def gripper_angle(self) -> np.ndarray:
        return mu.get_joint_qpos(self.model, self.data, "right_outer_knuckle_joint")

    @property
    def robot_state(self) -> np.ndarray:
        return np.concatenate([self.eef - self.center_of_table, self.gripper_angle])

    @property
    def obj(self) -> np.ndarray:
        return mu.get_site_xpos(self.model, self.data, "object_site") - self.center_of_table

    @property
    def obj_rot(self) -> np.ndarray:
        return mu.get_joint_qpos(self.model, self.data, "object_joint0")[-4:]

    @property
    def obj_velp(self) -> np.ndarray:
        return mu.get_site_xvelp(self.model, self.data, "object_site") * self.dt

    @property
    def obj_velr(self) -> np.ndarray:
        return mu.get_site_xvelr(self.model, self.data, "object_site") * self.dt

    @property
    def z_target(self) -> float:
        return self._init_z + self._z_threshold

    # --- task ---------------------------------------------------------------------------------------
    def is_success(self) -> bool:
        return bool(self.obj[2] >= self.z_target)

    def get_reward(self) -> float:
        reach_dist = np.linalg.norm(self.obj - self.eef)
        reach_dist_xy = np.linalg.norm(self.obj[:-1] - self.eef[:-1])
        pick_completed = self.obj[2] >= (self.z_target - 0.01)
        obj_dropped = (self.obj[2] < (self._init_z + 0.005)) and (reach_dist > 0.02)
        if reach_dist < 0.05:
            reach_reward = -reach_dist + max(self._action[-1], 0) / 50
        elif reach_dist_xy < 0.05:
            reach_reward = -reach_dist
        else:
            z_bonus = np.linalg.norm(np.linalg.norm(self.obj[-1] - self.eef[-1]))
            reach_reward = -reach_dist - 2 * z_bonus
        if pick_completed and not obj_dropped:
            pick_reward = self.z_target
        elif (reach_dist < 0.1) and (self.obj[2] > (self._init_z + 0.005)):
            pick_reward = min(self.z_target, self.obj[2])
        else:
            pick_reward = 0
        return float(reach_reward / 100 + pick_reward)

    def _state_obs(self) -> np.ndarray:
        extra = [
            np.linalg.norm(self.eef - self.obj),
            np.linalg.norm(self.eef[:-1] - self.obj[:-1]),
            self.z_target,
            self.z_target - self.obj[-1],
            self.z_target - self.eef[-1],
        ]
        parts = [self.eef, self.eef_velp, self.obj, self.obj_rot, self.obj_velp, self.obj_velr]
        return np.concatenate([*parts, self.eef - self.obj, np.array(extra), self.gripper_angle], axis=0)

    def _set_gripper(self, gripper_pos, gripper_rotation) -> None:
        mu.set_mocap_pos(self.model, self.data, "robot0:mocap2", gripper_pos)
        mu.set_mocap_quat(self.model, self.data, "robot0:mocap2", gripper_rotation)
        mu.set_joint_qpos(self.model, self.data, "right_outer_knuckle_joint", 0)
        self.data.qpos[10] = 0.0
        self.data.qpos[12] = 0.0

    def _sample_goal(self) -> np.ndarray:
        gripper_pos = np.array([1.280, 0.295, 0.735]) + self.np_random.uniform(-0.05, 0.05, size=3)
        self._set_gripper(gripper_pos, self.gripper_rotation)
        object_pos = self.center_of_table - np.array([0.15, 0.10, 0.07])
        object_pos[0] += self.np_random.uniform(-0.05, 0.05)
        object_pos[1] += self.np_random.uniform(-0.05, 0.05)
        object_qpos = mu.get_joint_qpos(self.model, self.data, "object_joint0")
        object_qpos[:3] = object_pos
        mu.set_joint_qpos(self.model, self.data, "object_joint0", object_qpos)
        self._init_z = object_pos[2]
        return object_pos + np.array([0, 0, self._z_threshold])

    # --- gym API ------------------------------------------------------------------------------------
    def get_obs(self):
        if self.obs_type == "state":
            return self._state_obs()
        pixels = self._render(self.observation_width, self.observation_height)
        if self.obs_type == "pixels":
            return pixels
        return {"pixels": pixels, "agent_pos": self.robot_state}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._action = np.zeros(4)
        self.data.time = self.initial_time
        self.data.qpos[:] = np.copy(self.initial_qpos)
        self.data.qvel[:] = np.copy(self.initial_qvel)
        self._sample_goal()
        mujoco.mj_step(self.model, self.data, nstep=10)
        return self.get_obs(), {}

    def step(self, action):
        action = np.asarray(action, dtype=np.float32)
        if action.shape != (4,):
            raise ValueError(f"XarmLift expects an action of shape (4,), got {action.shape}.")
        action = np.clip(action, -1.0, 1.0)  # departure: the original asserts the action is in the box
        self._action = action.copy()
        self._apply_action(action)
        mujoco.mj_step(self.model, self.data, nstep=2)
        mujoco.mj_forward(self.model, self.data)
        observation = self.get_obs()
        reward = self.get_reward()
        terminated = is_success = self.is_success()
        return observation, reward, terminated, False, {"is_success": is_success}

    def _limit_gripper(self, gripper_pos: np.ndarray, pos_ctrl: np.ndarray) -> np.ndarray:
        if gripper_pos[0] > self.center_of_table[0] - 0.105 + 0.15:
            pos_ctrl[0] = min(pos_ctrl[0], 0)
        if gripper_pos[0] < self.center_of_table[0] - 0.105 - 0.3:
            pos_ctrl[0] = max(pos_ctrl[0], 0)
        if gripper_pos[1] > self.center_of_table[1] + 0.3:
            pos_ctrl[1] = min(pos_ctrl[1], 0)
        if gripper_pos[1] < self.center_of_table[1] - 0.3:
            pos_ctrl[1] = max(pos_ctrl[1], 0)
        if gripper_pos[2] > self.max_z:
            pos_ctrl[2] = min(pos_ctrl[2], 0)
        if gripper_pos[2] < self.min_z:
            pos_ctrl[2] = max(pos_ctrl[2], 0)
        return pos_ctrl

    def _apply_action(self, action: np.ndarray) -> None:
        action = action.copy()
        pos_ctrl, gripper_ctrl = action[:3], action[3]
        grasp = mu.get_site_xpos(self.model, self.data, "grasp")
        pos_ctrl = self._limit_gripper(grasp, pos_ctrl) * (1 / self.n_substeps)
        gripper = np.array([gripper_ctrl, gripper_ctrl])
        _apply_mocap_action(
            self.model,
            self._body_names,
            self.data,
            np.concatenate([pos_ctrl, self.gripper_rotation, gripper]),
        )

    def render(self):
        return self._render(self.visualization_width, self.visualization_height)

    def _render(self, width: int, height: int) -> np.ndarray:
        mujoco.mj_forward(self.model, self.data)
        renderer = self._renderers.get((width, height))
        if renderer is None:
            renderer = self._renderers[(width, height)] = mujoco.Renderer(self.model, height, width)
        renderer.update_scene(self.data, camera="camera0")
        return renderer.render().copy()

    def close(self):
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers.clear()
