"""Simulation environment configs, registered by `type`.

Each config says which gym package and task to build (`gym_<type>/<task>`), the control rate, the
episode length, and the environment's features on the gym side (images channel-last, as the env
returns them) together with `features_map`, the gym key -> LeRobot key mapping used by
`lerobot.envs.utils.preprocess_observation` and `env_to_policy_features`.

Select one on the command line with `--env.type=pusht|aloha|xarm`; every field is a `--env.<field>`
override (e.g. `--env.task=AlohaTransferCube-v0 --env.episode_length=50`).

Observation types (`--env.obs_type`, default "pixels_agent_pos") and the LeRobot keys they give:

| env | obs_type | LeRobot keys |
|---|---|---|
| aloha | pixels_agent_pos | observation.images.top (3, 480, 640), observation.state (14) |
| aloha | pixels | observation.images.top (3, 480, 640) |
| pusht | pixels_agent_pos | observation.image (3, 96, 96), observation.state (2) |
| pusht | environment_state_agent_pos | observation.environment_state (16), observation.state (2) |
| pusht | pixels | observation.image (3, 96, 96) |
| pusht | state | observation.environment_state (5) |
| xarm | pixels_agent_pos | observation.image (3, 84, 84), observation.state (4) |
| xarm | pixels | observation.image (3, 84, 84) |
| xarm | state | observation.environment_state (28) |
"""

import abc
import difflib
from dataclasses import dataclass, field
from typing import Any, ClassVar

import draccus

from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.registry import ENVS, RegisteredChoice, Registry
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_IMAGE, OBS_IMAGES, OBS_STATE


def _nearest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


@dataclass
class EnvConfig(RegisteredChoice, draccus.ChoiceRegistry, abc.ABC):
    """Base class of every simulation env config; subclasses are registered by `type` (the `ENVS` table
    of lerobot/registry.py)."""

    type_registry: ClassVar[Registry] = ENVS

    # Gym task name inside the env package, e.g. "PushT-v0" (the env id is "gym_<type>/<task>").
    task: str | None = None
    # Control rate of the simulation (frames per second); also the fps of rendered rollout videos.
    fps: int = 30
    # Maximum number of steps of an episode (gym's `max_episode_steps`; the episode is truncated after).
    episode_length: int = 300
    # Gym-side features (images channel-last (H, W, C), as the env returns them).
    features: dict[str, PolicyFeature] = field(default_factory=dict)
    # Gym key -> LeRobot feature key.
    features_map: dict[str, str] = field(default_factory=dict)

    # Tasks this env type accepts; filled by each subclass.
    available_tasks: ClassVar[tuple[str, ...]] = ()
    # Policy types with pretrained checkpoints for this env (`lerobot.available_policies_per_env`).
    suggested_policies: ClassVar[tuple[str, ...]] = ()
    # obs_type -> the gym-side observation features the env returns with it (gym key -> feature). A
    # non-dict observation (a bare image or vector) is keyed "pixels" (image) or "state" (vector), the
    # names `preprocess_observation` gives it.
    obs_type_features: ClassVar[dict[str, dict[str, PolicyFeature]]] = {}
    available_obs_types: ClassVar[tuple[str, ...]] = ()
    # obs_types the gym package names but does not implement -> why (shown in the error message).
    unsupported_obs_types: ClassVar[dict[str, str]] = {}
    # Gym key -> LeRobot key of every observation any obs_type returns (fills a saved `features_map`).
    default_features_map: ClassVar[dict[str, str]] = {}

    def __post_init__(self):
        self._validate_common()
        if self.obs_type_features:
            self._set_obs_features()

    @property
    def type(self) -> str:
        return self.get_choice_name(self.__class__)

    @property
    def package_name(self) -> str:
        """The python package that registers this env's gym ids."""
        return f"gym_{self.type}"

    @property
    def gym_id(self) -> str:
        return f"{self.package_name}/{self.task}"

    @property
    @abc.abstractmethod
    def gym_kwargs(self) -> dict[str, Any]:
        """Keyword arguments passed to `gym.make` for this env."""

    def _validate_common(self) -> None:
        name = f"--env.type={self.type}"
        if self.available_tasks and self.task not in self.available_tasks:
            raise ValueError(
                f"{name}: unknown --env.task={self.task!r}; expected one of {list(self.available_tasks)}."
                + _nearest(str(self.task), list(self.available_tasks))
            )
        obs_type = getattr(self, "obs_type", None)
        if obs_type in self.unsupported_obs_types:
            raise ValueError(
                f"{name}: --env.obs_type={obs_type!r} is not available: "
                f"{self.unsupported_obs_types[obs_type]}; expected one of {list(self.available_obs_types)}."
            )
        if self.available_obs_types and obs_type not in self.available_obs_types:
            raise ValueError(
                f"{name}: unknown --env.obs_type={obs_type!r}; expected one of "
                f"{list(self.available_obs_types)}." + _nearest(str(obs_type), list(self.available_obs_types))
            )
        if not isinstance(self.fps, int) or self.fps <= 0:
            raise ValueError(f"{name}: --env.fps must be a positive integer, got {self.fps!r}.")
        if not isinstance(self.episode_length, int) or self.episode_length <= 0:
            raise ValueError(
                f"{name}: --env.episode_length must be a positive integer (steps before the episode is "
                f"truncated), got {self.episode_length!r}."
            )

    def _set_obs_features(self) -> None:
        """Make `features` / `features_map` describe `obs_type`'s observations (action kept as is).

        Observation features of the other obs types are dropped (a saved config re-parsed with another
        `--env.obs_type` keeps no stale entries), and a `features_map` saved before an obs type existed
        gets that obs type's keys from the defaults.
        """
        wanted = self.obs_type_features[self.obs_type]
        for feats in self.obs_type_features.values():
            for key in feats:
                if key not in wanted:
                    self.features.pop(key, None)
        for key, ft in wanted.items():
            self.features[key] = PolicyFeature(type=ft.type, shape=tuple(ft.shape))
            self.features_map.setdefault(key, self.default_features_map[key])


def _visual(*shape: int) -> PolicyFeature:
    return PolicyFeature(type=FeatureType.VISUAL, shape=shape)


def _vector(feature_type: FeatureType, dim: int) -> PolicyFeature:
    return PolicyFeature(type=feature_type, shape=(dim,))


# Gym key -> LeRobot key of every observation any obs_type of an env returns.
_ALOHA_FEATURES_MAP = {
    ACTION: ACTION,
    "agent_pos": OBS_STATE,
    "pixels/top": f"{OBS_IMAGES}.top",  # obs_type="pixels_agent_pos": {"pixels": {"top": ...}, ...}
    "top": f"{OBS_IMAGES}.top",  # obs_type="pixels": {"top": ...}
}
# "state" is the whole simulator state (agent and object), not the robot's own proprioception that
# datasets record as `observation.state`, hence `observation.environment_state`.
_PUSHT_FEATURES_MAP = {
    ACTION: ACTION,
    "agent_pos": OBS_STATE,
    "environment_state": OBS_ENV_STATE,
    "pixels": OBS_IMAGE,
    "state": OBS_ENV_STATE,
}
_XARM_FEATURES_MAP = {ACTION: ACTION, "agent_pos": OBS_STATE, "pixels": OBS_IMAGE, "state": OBS_ENV_STATE}


@EnvConfig.register_subclass("aloha")
@dataclass
class AlohaEnv(EnvConfig):
    """Bimanual ALOHA in MuJoCo (gym-aloha): insertion or cube transfer, 14-D joint actions."""

    # Gym task: "AlohaInsertion-v0" or "AlohaTransferCube-v0".
    task: str = "AlohaInsertion-v0"
    # Control rate (frames per second) of the datasets and policies of this env.
    fps: int = 50
    # Steps before the episode is truncated (gym max_episode_steps).
    episode_length: int = 400
    # "pixels_agent_pos": top camera (480x640) + 14 joint positions; "pixels": the top camera only.
    obs_type: str = "pixels_agent_pos"
    # Gym render mode (only "rgb_array": off-screen frames for the rollout videos).
    render_mode: str = "rgb_array"
    # Gym-side features (observations set from obs_type; not meant to be changed on the command line).
    features: dict[str, PolicyFeature] = field(
        default_factory=lambda: {ACTION: PolicyFeature(type=FeatureType.ACTION, shape=(14,))}
    )
    # Gym observation key -> LeRobot feature key.
    features_map: dict[str, str] = field(default_factory=lambda: dict(_ALOHA_FEATURES_MAP))
    default_features_map: ClassVar[dict[str, str]] = _ALOHA_FEATURES_MAP

    available_tasks: ClassVar[tuple[str, ...]] = ("AlohaInsertion-v0", "AlohaTransferCube-v0")
    suggested_policies: ClassVar[tuple[str, ...]] = ("act",)
    obs_type_features: ClassVar[dict[str, dict[str, PolicyFeature]]] = {
        "pixels_agent_pos": {"agent_pos": _vector(FeatureType.STATE, 14), "pixels/top": _visual(480, 640, 3)},
        "pixels": {"top": _visual(480, 640, 3)},
    }
    available_obs_types: ClassVar[tuple[str, ...]] = tuple(obs_type_features)
    unsupported_obs_types: ClassVar[dict[str, str]] = {
        "state": "gym-aloha declares it but raises NotImplementedError when the env is built"
    }

    @property
    def gym_kwargs(self) -> dict[str, Any]:
        return {
            "obs_type": self.obs_type,
            "render_mode": self.render_mode,
            "max_episode_steps": self.episode_length,
        }


@EnvConfig.register_subclass("pusht")
@dataclass
class PushtEnv(EnvConfig):
    """2-D PushT (gym-pusht, pymunk): push a T-shaped block onto a target; 2-D target-position actions."""

    # Gym task (only "PushT-v0").
    task: str = "PushT-v0"
    # Control rate (frames per second) of the datasets and policies of this env.
    fps: int = 10
    # Steps before the episode is truncated (gym max_episode_steps).
    episode_length: int = 300
    # "pixels_agent_pos" (96x96 camera + agent xy), "environment_state_agent_pos" (16 keypoints + xy),
    # "pixels" (the camera only) or "state" ([agent x, agent y, block x, block y, block angle]).
    obs_type: str = "pixels_agent_pos"
    # Gym render mode (only "rgb_array": off-screen frames for the rollout videos).
    render_mode: str = "rgb_array"
    # Size of the frames of `env.render()` (rollout videos), not of the observation.
    visualization_width: int = 384
    # Height in pixels of the rendered frames (videos).
    visualization_height: int = 384
    # Gym-side features (observations set from obs_type; not meant to be changed on the command line).
    features: dict[str, PolicyFeature] = field(
        default_factory=lambda: {ACTION: PolicyFeature(type=FeatureType.ACTION, shape=(2,))}
    )
    # Gym observation key -> LeRobot feature key.
    features_map: dict[str, str] = field(default_factory=lambda: dict(_PUSHT_FEATURES_MAP))
    default_features_map: ClassVar[dict[str, str]] = _PUSHT_FEATURES_MAP

    available_tasks: ClassVar[tuple[str, ...]] = ("PushT-v0",)
    suggested_policies: ClassVar[tuple[str, ...]] = ("diffusion", "vqbet")
    # Departure from the reference's documented size (which lists 384x384, the visualization size): gym-pusht returns
    # observation frames of its `observation_width/height`, 96x96, which is what the pusht datasets and
    # policies use; declaring the real shape lets the feature check work.
    obs_type_features: ClassVar[dict[str, dict[str, PolicyFeature]]] = {
        "pixels_agent_pos": {"agent_pos": _vector(FeatureType.STATE, 2), "pixels": _visual(96, 96, 3)},
        "environment_state_agent_pos": {
            "agent_pos": _vector(FeatureType.STATE, 2),
            "environment_state": _vector(FeatureType.ENV, 16),
        },
        "pixels": {"pixels": _visual(96, 96, 3)},
        "state": {"state": _vector(FeatureType.ENV, 5)},
    }
    available_obs_types: ClassVar[tuple[str, ...]] = tuple(obs_type_features)
    unsupported_obs_types: ClassVar[dict[str, str]] = {
        "keypoints": "gym-pusht documents it but does not implement it (use 'environment_state_agent_pos')"
    }

    @property
    def gym_kwargs(self) -> dict[str, Any]:
        return {
            "obs_type": self.obs_type,
            "render_mode": self.render_mode,
            "visualization_width": self.visualization_width,
            "visualization_height": self.visualization_height,
            "max_episode_steps": self.episode_length,
        }


@EnvConfig.register_subclass("xarm")
@dataclass
class XarmEnv(EnvConfig):
    """xArm lift in MuJoCo (a port of gym-xarm, see `lerobot/envs/xarm/`); 4-D end-effector actions."""

    # Gym task (only "XarmLift-v0").
    task: str = "XarmLift-v0"
    # Control rate (frames per second) of the datasets and policies of this env.
    fps: int = 15
    # Steps before the episode is truncated (gym max_episode_steps).
    episode_length: int = 200
    # "pixels_agent_pos": 84x84 camera + end-effector xyz and gripper angle; "pixels": the camera only;
    # "state": gym-xarm's 28-D state (end effector, object pose and velocities, distances, gripper).
    obs_type: str = "pixels_agent_pos"
    # Gym render mode (only "rgb_array": off-screen frames for the rollout videos).
    render_mode: str = "rgb_array"
    # Width in pixels of the rendered frames (videos).
    visualization_width: int = 384
    # Height in pixels of the rendered frames (videos).
    visualization_height: int = 384
    # Gym-side features (observations set from obs_type; not meant to be changed on the command line).
    features: dict[str, PolicyFeature] = field(
        default_factory=lambda: {ACTION: PolicyFeature(type=FeatureType.ACTION, shape=(4,))}
    )
    # Gym observation key -> LeRobot feature key.
    features_map: dict[str, str] = field(default_factory=lambda: dict(_XARM_FEATURES_MAP))
    default_features_map: ClassVar[dict[str, str]] = _XARM_FEATURES_MAP

    available_tasks: ClassVar[tuple[str, ...]] = ("XarmLift-v0",)
    suggested_policies: ClassVar[tuple[str, ...]] = ("tdmpc",)
    obs_type_features: ClassVar[dict[str, dict[str, PolicyFeature]]] = {
        "pixels_agent_pos": {"pixels": _visual(84, 84, 3), "agent_pos": _vector(FeatureType.STATE, 4)},
        "pixels": {"pixels": _visual(84, 84, 3)},
        "state": {"state": _vector(FeatureType.ENV, 28)},
    }
    available_obs_types: ClassVar[tuple[str, ...]] = tuple(obs_type_features)

    @property
    def package_name(self) -> str:
        # The published gym-xarm pins mujoco<3, which conflicts with gym-aloha; lerobot ships a port.
        return "lerobot.envs.xarm"

    @property
    def gym_id(self) -> str:
        return f"gym_xarm/{self.task}"

    @property
    def gym_kwargs(self) -> dict[str, Any]:
        return {
            "obs_type": self.obs_type,
            "render_mode": self.render_mode,
            "visualization_width": self.visualization_width,
            "visualization_height": self.visualization_height,
            "max_episode_steps": self.episode_length,
        }
