"""Example 2: load a trained policy, roll it out in the PushT simulator and save a video.

    python examples/2_evaluate_pretrained_policy.py [POLICY]

POLICY is a `pretrained_model` folder or a Hub id (e.g. `lerobot/diffusion_pusht` when online); default:
the policy example 3 saves (`outputs/examples/train_act/pretrained_model`). The same loop, batched over
several envs with metrics, is `lerobot-eval --policy.path=POLICY --env.type=pusht`.
Environment: LEROBOT_EXAMPLES_DIR (default outputs/examples), LEROBOT_EXAMPLES_QUICK=1 (a short episode).
"""

import os
import sys
from pathlib import Path

import gym_pusht  # noqa: F401  (registers gym_pusht/PushT-v0)
import gymnasium as gym
import numpy as np
import torch

from lerobot.policies.pretrained import PreTrainedPolicy
from lerobot.utils.rollout_video import write_video

OUT = Path(os.environ.get("LEROBOT_EXAMPLES_DIR", "outputs/examples"))
QUICK = os.environ.get("LEROBOT_EXAMPLES_QUICK") == "1"
source = sys.argv[1] if len(sys.argv) > 1 else OUT / "train_act" / "pretrained_model"
if not sys.argv[1:] and not Path(source).is_dir():
    sys.exit(
        f"No policy at {source}: run `python examples/3_train_policy.py` first, or pass a policy folder."
    )
device = "cuda" if torch.cuda.is_available() else "cpu"

policy = PreTrainedPolicy.from_pretrained(source)  # the class comes from config.json's `type`
policy.to(device)
policy.eval()
print(f"Loaded a {policy.config.type} policy; inputs {list(policy.config.input_features)}")

# The policy's inputs are the dataset's keys: map the env's observation onto them.
env = gym.make("gym_pusht/PushT-v0", obs_type="pixels_agent_pos", max_episode_steps=20 if QUICK else 300)
observation, info = env.reset(seed=42)
policy.reset()  # clears the action queue of chunking policies
rewards, frames = [], [env.render()]
done = False
while not done:
    state = torch.from_numpy(observation["agent_pos"]).float()[None]  # (1, 2)
    image = torch.from_numpy(observation["pixels"]).float().permute(2, 0, 1)[None] / 255  # (1, 3, 96, 96)
    batch = {"observation.state": state.to(device), "observation.image": image.to(device)}
    with torch.inference_mode():
        action = policy.select_action(batch)  # (1, 2) in env units (target x, y)
    observation, reward, terminated, truncated, info = env.step(action[0].cpu().numpy())
    rewards.append(reward)
    frames.append(env.render())
    done = terminated or truncated
print(f"{len(rewards)} steps, max reward {max(rewards):.3f}, success: {terminated}")

video = write_video(np.stack(frames), OUT / "eval_example" / "rollout.mp4", fps=env.metadata["render_fps"])
print(f"Video of the rollout: {video}")
env.close()
