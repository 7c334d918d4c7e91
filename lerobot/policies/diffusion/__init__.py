"""Diffusion Policy (`type: diffusion`). The modeling module imports torch and diffusers; import it explicitly:
`from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy`."""

from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig

__all__ = ["DiffusionConfig"]
