"""Conditional 1-D U-Net of Diffusion Policy (Chi et al. 2023), docs/policies/diffusion.md.

Shapes: `x` (B, T=horizon, A) noisy action trajectory, `timestep` (B,) integer diffusion steps,
`global_cond` (B, G) observation conditioning. Output (B, T, A).

Module and parameter names follow the reference exactly (`diffusion_step_encoder.{1,3}`,
`down_modules.{i}.{0,1,2}`, `mid_modules.{0,1}`, `up_modules.{j}.{0,1,2}`, `final_conv.{0,1}`), so
checkpoints load without renaming.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class DiffusionSinusoidalPosEmb(nn.Module):
    """Timestep embedding: `[sin(t f_0..f_{h-1}), cos(t f_0..f_{h-1})]`, `f_k = exp(-k ln(1e4)/(h-1))`.

    Follows the reference (and diffusion_policy): the frequency denominator is `half - 1`, and sin/cos are
    concatenated, not interleaved. (B,) -> (B, dim).
    """

    def __init__(self, dim: int):
        super().__init__()
        if dim % 2 != 0 or dim < 4:
            raise ValueError(f"diffusion_step_embed_dim must be an even number >= 4, got {dim}.")
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        half_dim = self.dim // 2
        scale = math.log(10000) / (half_dim - 1)
        freqs = torch.exp(torch.arange(half_dim, device=x.device) * -scale)
        emb = x.unsqueeze(-1) * freqs.unsqueeze(0)  # (B, half)
        return torch.cat((emb.sin(), emb.cos()), dim=-1)


class DiffusionConv1dBlock(nn.Module):
    """Conv1d (padding k//2) -> GroupNorm -> Mish. Keys: `block.0.*` (conv), `block.1.*` (norm)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, n_groups: int = 8):
        super().__init__()
        if out_channels % n_groups != 0:
            raise ValueError(
                f"GroupNorm needs the channel count ({out_channels}) to be divisible by the number of "
                f"groups ({n_groups}); choose down_dims that are multiples of n_groups (and of 8, the group "
                "count of the final conv block)."
            )
        self.block = nn.Sequential(
            nn.Conv1d(in_channels, out_channels, kernel_size, padding=kernel_size // 2),
            nn.GroupNorm(n_groups, out_channels),
            nn.Mish(),
        )

    def forward(self, x: Tensor) -> Tensor:  # (B, cin, T) -> (B, cout, T)
        return self.block(x)


class DiffusionConditionalResidualBlock1d(nn.Module):
    """Two conv blocks with FiLM conditioning in between, plus a residual path (1x1 conv if cin != cout).

    FiLM: `e = Linear(Mish(cond))`; with scale modulation `h = e[:, :cout] * h + e[:, cout:]` (plain gamma,
    not 1 + gamma, as in the reference), else `h = h + e`.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        cond_dim: int,
        kernel_size: int = 3,
        n_groups: int = 8,
        use_film_scale_modulation: bool = False,
    ):
        super().__init__()
        self.use_film_scale_modulation = use_film_scale_modulation
        self.out_channels = out_channels
        self.conv1 = DiffusionConv1dBlock(in_channels, out_channels, kernel_size, n_groups=n_groups)
        cond_channels = out_channels * 2 if use_film_scale_modulation else out_channels
        self.cond_encoder = nn.Sequential(nn.Mish(), nn.Linear(cond_dim, cond_channels))
        self.conv2 = DiffusionConv1dBlock(out_channels, out_channels, kernel_size, n_groups=n_groups)
        self.residual_conv = (
            nn.Conv1d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()
        )

    def forward(self, x: Tensor, cond: Tensor) -> Tensor:  # x (B, cin, T), cond (B, cond_dim)
        out = self.conv1(x)  # (B, cout, T)
        cond_embed = self.cond_encoder(cond).unsqueeze(-1)  # (B, m*cout, 1)
        if self.use_film_scale_modulation:
            scale = cond_embed[:, : self.out_channels]
            bias = cond_embed[:, self.out_channels :]
            out = scale * out + bias
        else:
            out = out + cond_embed
        out = self.conv2(out)
        return out + self.residual_conv(x)


class DiffusionConditionalUnet1d(nn.Module):
    """1-D convolutional U-Net with FiLM conditioning on `[step_embedding, global_cond]`.

    Args:
        action_dim: A, channels of the trajectory.
        global_cond_dim: G, width of the observation conditioning.
        down_dims: channel widths per level. Each level but the last halves T, so T must be divisible by
            2**(len(down_dims) - 1); the config enforces the reference's stricter 2**len(down_dims).
        kernel_size, n_groups, diffusion_step_embed_dim, use_film_scale_modulation: see the config.
    """

    def __init__(
        self,
        action_dim: int,
        global_cond_dim: int,
        down_dims: tuple[int, ...] = (512, 1024, 2048),
        kernel_size: int = 5,
        n_groups: int = 8,
        diffusion_step_embed_dim: int = 128,
        use_film_scale_modulation: bool = True,
    ):
        super().__init__()
        down_dims = tuple(down_dims)
        te = diffusion_step_embed_dim
        self.diffusion_step_encoder = nn.Sequential(
            DiffusionSinusoidalPosEmb(te),
            nn.Linear(te, te * 4),
            nn.Mish(),
            nn.Linear(te * 4, te),
        )
        cond_dim = te + global_cond_dim
        in_out = [(action_dim, down_dims[0])] + list(zip(down_dims[:-1], down_dims[1:], strict=True))

        def block(cin: int, cout: int) -> DiffusionConditionalResidualBlock1d:
            return DiffusionConditionalResidualBlock1d(
                cin,
                cout,
                cond_dim=cond_dim,
                kernel_size=kernel_size,
                n_groups=n_groups,
                use_film_scale_modulation=use_film_scale_modulation,
            )

        self.down_modules = nn.ModuleList([])
        for ind, (dim_in, dim_out) in enumerate(in_out):
            is_last = ind >= len(in_out) - 1
            self.down_modules.append(
                nn.ModuleList(
                    [
                        block(dim_in, dim_out),
                        block(dim_out, dim_out),
                        # Downsample by 2 except at the last (bottom) level.
                        nn.Conv1d(dim_out, dim_out, 3, 2, 1) if not is_last else nn.Identity(),
                    ]
                )
            )

        self.mid_modules = nn.ModuleList(
            [block(down_dims[-1], down_dims[-1]), block(down_dims[-1], down_dims[-1])]
        )

        self.up_modules = nn.ModuleList([])
        for dim_in, dim_out in reversed(in_out[1:]):
            # The reference tests `is_last` against the un-shortened list, so every up level upsamples.
            self.up_modules.append(
                nn.ModuleList(
                    [
                        block(dim_out * 2, dim_in),  # current features + skip, concatenated on channels
                        block(dim_in, dim_in),
                        nn.ConvTranspose1d(dim_in, dim_in, 4, 2, 1),
                    ]
                )
            )

        # As in the reference, the final conv block always uses GroupNorm with 8 groups (not n_groups).
        self.final_conv = nn.Sequential(
            DiffusionConv1dBlock(down_dims[0], down_dims[0], kernel_size=kernel_size),
            nn.Conv1d(down_dims[0], action_dim, 1),
        )

    def forward(self, x: Tensor, timestep: Tensor | int, global_cond: Tensor | None = None) -> Tensor:
        """x (B, T, A), timestep (B,) int, global_cond (B, G) -> (B, T, A)."""
        x = x.transpose(1, 2)  # (B, A, T)
        if not torch.is_tensor(timestep):
            timestep = torch.full((x.shape[0],), int(timestep), dtype=torch.long, device=x.device)
        timestep_embed = self.diffusion_step_encoder(timestep)  # (B, Te)
        if global_cond is not None:
            global_feature = torch.cat([timestep_embed, global_cond], dim=-1)  # (B, Te + G)
        else:
            global_feature = timestep_embed

        skips = []
        for resnet, resnet2, downsample in self.down_modules:
            x = resnet(x, global_feature)
            x = resnet2(x, global_feature)
            skips.append(x)
            x = downsample(x)

        for mid_module in self.mid_modules:
            x = mid_module(x, global_feature)

        # n skips are pushed and n - 1 popped: the full-resolution skip is never used (as in the reference).
        for resnet, resnet2, upsample in self.up_modules:
            x = torch.cat((x, skips.pop()), dim=1)
            x = resnet(x, global_feature)
            x = resnet2(x, global_feature)
            x = upsample(x)

        x = self.final_conv(x)  # (B, A, T)
        return x.transpose(1, 2)
