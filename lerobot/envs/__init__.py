"""Simulation environments: configs registered by `type`, a vector-env factory and the
observation mapping to policy inputs.

- `lerobot.envs.configs`: `EnvConfig` (draccus ChoiceRegistry; names in the `ENVS` table of
  lerobot/registry.py) and `PushtEnv` ("pusht"), `AlohaEnv` ("aloha"), `XarmEnv` ("xarm").
- `lerobot.envs.factory`: `make_env_config(env_type, **fields)`, `make_env(cfg, n_envs=1, use_async_envs=False)`.
- `lerobot.envs.utils`: `preprocess_observation(obs)`, `env_to_policy_features(cfg)`,
  `check_policy_features_match_env(input_features, cfg)`.
- `lerobot.envs.xarm`: MuJoCo 3 port of gym-xarm's Lift task (registers `gym_xarm/XarmLift-v0`).

Nothing is imported here, so `import lerobot.envs` stays cheap and needs no simulator.
"""
