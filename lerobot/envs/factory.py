"""Build env configs by name and gymnasium vector envs from a config."""

import importlib

import gymnasium as gym

from lerobot.envs.configs import EnvConfig

_EXTRA_OF = {"gym_pusht": "pusht", "gym_aloha": "aloha", "lerobot.envs.xarm": "xarm"}


def make_env_config(env_type: str, **kwargs) -> EnvConfig:
    """`make_env_config("pusht", episode_length=50)` -> the registered config class, constructed."""
    return EnvConfig.get_choice_class(env_type)(**kwargs)  # unknown: ValueError listing the known types


def _import_env_package(cfg: EnvConfig) -> None:
    """Import the package that registers the env's gym ids, with an install hint when it is missing."""
    try:
        importlib.import_module(cfg.package_name)
    except ModuleNotFoundError as e:
        extra = _EXTRA_OF.get(cfg.package_name, cfg.type)
        raise ModuleNotFoundError(
            f"--env.type={cfg.type} needs the package '{cfg.package_name}' ({e.name} is missing): "
            f'install it with `pip install -e ".[{extra}]"`.'
        ) from e


def make_env(cfg: EnvConfig, n_envs: int = 1, use_async_envs: bool = False) -> gym.vector.VectorEnv:
    """A gymnasium vector env of `n_envs` copies of `cfg`'s env.

    Sub-envs are built with `gym.make("<package>/<task>", disable_env_checker=True, **cfg.gym_kwargs)`
    (`max_episode_steps` = `cfg.episode_length`). `use_async_envs=True` runs each sub-env in its own
    process (`AsyncVectorEnv`), otherwise they step one after the other in this process.
    Vector autoreset is gymnasium's default ("next step"): the step that ends an episode returns its
    final observation and info, and the following step resets that sub-env.
    """
    if not isinstance(cfg, EnvConfig):
        raise TypeError(f"make_env expects an EnvConfig (e.g. PushtEnv()), got {type(cfg).__name__}.")
    if not isinstance(n_envs, int) or n_envs < 1:
        raise ValueError(f"n_envs must be a positive integer, got {n_envs!r}.")
    _import_env_package(cfg)
    gym_id, kwargs = cfg.gym_id, cfg.gym_kwargs
    package = cfg.package_name

    def _make_one() -> gym.Env:
        # Runs in a worker process for AsyncVectorEnv: register the gym ids there too.
        importlib.import_module(package)
        return gym.make(gym_id, disable_env_checker=True, **kwargs)

    env_fns = [_make_one for _ in range(n_envs)]
    if use_async_envs:
        return gym.vector.AsyncVectorEnv(env_fns, context="forkserver")
    return gym.vector.SyncVectorEnv(env_fns)
