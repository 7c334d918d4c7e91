"""Building blocks of VQ-BeT (docs/policies/vqbet.md): a nanoGPT-style causal transformer and the
residual VQ-VAE that turns action chunks into pairs of discrete codes.

Shapes: Dg = gpt_hidden_dim, T <= gpt_block_size tokens; W = action_chunk_size, A = action dim,
Dv = vqvae_embedding_dim, Cb = vqvae_n_embed, G = 2 residual quantizer layers.
"""

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# ----- GPT ------------------------------------------------------------------------------------------------


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with a fused qkv projection; the causal mask is the persistent
    buffer `bias` (1, 1, T_max, T_max), lower-triangular ones (kept for state-dict compatibility)."""

    def __init__(self, hidden_dim: int, n_head: int, block_size: int, dropout: float):
        super().__init__()
        if hidden_dim % n_head != 0:
            raise ValueError(f"gpt_hidden_dim ({hidden_dim}) must be divisible by gpt_n_head ({n_head}).")
        self.c_attn = nn.Linear(hidden_dim, 3 * hidden_dim)
        self.c_proj = nn.Linear(hidden_dim, hidden_dim)
        self.attn_dropout = nn.Dropout(dropout)
        self.resid_dropout = nn.Dropout(dropout)
        self.register_buffer(
            "bias", torch.tril(torch.ones(block_size, block_size)).view(1, 1, block_size, block_size)
        )
        self.n_head = n_head
        self.hidden_dim = hidden_dim

    def forward(self, x: Tensor) -> Tensor:  # (B, T, Dg) -> (B, T, Dg)
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(self.hidden_dim, dim=2)
        # (B, T, C) -> (B, h, T, C/h): heads are contiguous chunks of the channel axis.
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = self.attn_dropout(F.softmax(att, dim=-1))  # dropout mask (B, h, T, T)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class Block(nn.Module):
    """Pre-LayerNorm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    def __init__(self, hidden_dim: int, n_head: int, block_size: int, dropout: float):
        super().__init__()
        self.ln_1 = nn.LayerNorm(hidden_dim)
        self.attn = CausalSelfAttention(hidden_dim, n_head, block_size, dropout)
        self.ln_2 = nn.LayerNorm(hidden_dim)
        self.mlp = nn.Sequential(
            nn.Linear(hidden_dim, 4 * hidden_dim),
            nn.GELU(),
            nn.Linear(4 * hidden_dim, hidden_dim),
            nn.Dropout(dropout),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """nanoGPT over continuous input tokens: `wte` is a Linear (not an embedding table); learned positions.

    forward: (B, T, input_dim) -> (B, T, output_dim).
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        hidden_dim: int,
        n_layer: int,
        n_head: int,
        block_size: int,
        dropout: float,
    ):
        super().__init__()
        self.block_size = block_size
        self.transformer = nn.ModuleDict(
            {
                "wte": nn.Linear(input_dim, hidden_dim),
                "wpe": nn.Embedding(block_size, hidden_dim),
                "drop": nn.Dropout(dropout),
                "h": nn.ModuleList([Block(hidden_dim, n_head, block_size, dropout) for _ in range(n_layer)]),
                "ln_f": nn.LayerNorm(hidden_dim),
            }
        )
        self.lm_head = nn.Linear(hidden_dim, output_dim, bias=False)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

    @staticmethod
    def _init_weights(module: nn.Module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        elif isinstance(module, nn.LayerNorm):
            nn.init.zeros_(module.bias)
            nn.init.ones_(module.weight)

    def forward(self, tokens: Tensor) -> Tensor:
        _, T, _ = tokens.shape
        if self.block_size < T:
            raise ValueError(f"Cannot run the GPT on {T} tokens: gpt_block_size is {self.block_size}.")
        pos = torch.arange(0, T, dtype=torch.long, device=tokens.device)
        x = self.transformer.drop(self.transformer.wte(tokens) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))

    def configure_parameters(self) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        """(decay, no_decay) parameter lists, each sorted by full name: Linear weights decay; biases,
        LayerNorm weights and the position table do not."""
        decay, no_decay = set(), set()
        for mn, m in self.named_modules():
            for pn, _ in m.named_parameters(recurse=False):
                fpn = f"{mn}.{pn}" if mn else pn
                if pn.endswith("bias"):
                    no_decay.add(fpn)
                elif pn.endswith("weight") and isinstance(m, nn.Linear):
                    decay.add(fpn)
                elif pn.endswith("weight") and isinstance(m, (nn.LayerNorm, nn.Embedding)):
                    no_decay.add(fpn)
        params = dict(self.named_parameters())
        return [params[n] for n in sorted(decay)], [params[n] for n in sorted(no_decay)]


# ----- residual vector quantizer --------------------------------------------------------------------------


class EuclideanCodebook(nn.Module):
    """One codebook of Cb codes of width Dv, stored as buffers and updated by EMA (no k-means init, no
    dead-code replacement). Buffers: `initted` (1,), `cluster_size` (1, Cb), `embed_avg` (1, Cb, Dv),
    `embed` (1, Cb, Dv) — the leading 1 is the reference's codebook-head axis."""

    def __init__(self, dim: int, codebook_size: int, decay: float = 0.8, eps: float = 1e-5):
        super().__init__()
        self.decay = decay
        self.eps = eps
        self.codebook_size = codebook_size
        embed = torch.empty(1, codebook_size, dim)
        nn.init.kaiming_uniform_(embed)
        self.register_buffer("initted", torch.tensor([1.0]))
        self.register_buffer("cluster_size", torch.zeros(1, codebook_size))
        self.register_buffer("embed_avg", embed.clone())
        self.register_buffer("embed", embed)

    def distances(self, x: Tensor) -> Tensor:
        """Euclidean distances (n, Cb) as sqrt(|x|^2 + |e|^2 - 2 x.e), clamped at 0 before the sqrt."""
        embed = self.embed[0]
        x2 = (x**2).sum(-1, keepdim=True)
        e2 = (embed**2).sum(-1).unsqueeze(0)
        xe = (x @ embed.t()) * -2
        return (x2 + e2 + xe).clamp(min=0).sqrt()

    def forward(self, x: Tensor, update: bool) -> tuple[Tensor, Tensor]:
        """x (n, Dv) float32 -> nearest codes (n, Dv) and their indices (n,) (ties -> first index).

        With `update`, the EMA statistics and codebook are updated after quantizing with the old codebook.
        """
        x = x.float()
        idx = (-self.distances(x)).argmax(dim=-1)
        quantized = F.embedding(idx, self.embed[0])
        if update:
            onehot = F.one_hot(idx, self.codebook_size).type(x.dtype)  # (n, Cb)
            self.cluster_size.data.lerp_(onehot.sum(0).unsqueeze(0), 1 - self.decay)
            embed_sum = onehot.t() @ x.detach()  # (Cb, Dv)
            self.embed_avg.data.lerp_(embed_sum.unsqueeze(0), 1 - self.decay)
            total = self.cluster_size.sum(dim=-1, keepdim=True)
            smoothed = (self.cluster_size + self.eps) / (total + self.codebook_size * self.eps) * total
            self.embed.data.copy_(self.embed_avg / smoothed.unsqueeze(-1))
        return quantized, idx


class VectorQuantize(nn.Module):
    """One residual layer: nearest-code quantization with a straight-through estimator and a commitment
    loss (train mode only); input/output projections are identities (no parameters)."""

    def __init__(self, dim: int, codebook_size: int, commitment_weight: float = 1.0):
        super().__init__()
        self._codebook = EuclideanCodebook(dim, codebook_size)
        self.commitment_weight = commitment_weight

    def forward(self, x: Tensor, freeze_codebook: bool) -> tuple[Tensor, Tensor, Tensor]:
        """x (n, Dv) -> quantized (n, Dv), codes (n,), commitment loss ()."""
        quantized, idx = self._codebook(x, update=self.training and not freeze_codebook)
        loss = torch.zeros((), device=x.device, dtype=x.dtype)
        if self.training:
            loss = F.mse_loss(quantized.detach(), x) * self.commitment_weight
            quantized = x + (quantized - x).detach()  # straight-through
        return quantized, idx, loss


class ResidualVQ(nn.Module):
    """G residual layers: layer g quantizes what the previous layers left; the output is their sum."""

    def __init__(self, dim: int, codebook_size: int, num_quantizers: int = 2):
        super().__init__()
        self.register_buffer("freeze_codebook", torch.tensor(False))
        self.layers = nn.ModuleList([VectorQuantize(dim, codebook_size) for _ in range(num_quantizers)])

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """x (n, Dv) -> summed quantized (n, Dv), codes (n, G), per-layer commitment losses (G,)."""
        freeze = bool(self.freeze_codebook.item())
        out = torch.zeros_like(x)
        residual = x
        codes, losses = [], []
        for layer in self.layers:
            quantized, idx, loss = layer(residual, freeze)
            residual = residual - quantized.detach()
            out = out + quantized
            codes.append(idx)
            losses.append(loss)
        return out, torch.stack(codes, dim=-1), torch.stack(losses)

    def get_codes_from_indices(self, codes: Tensor) -> Tensor:
        """codes (n, G) -> per-layer code vectors (G, n, Dv)."""
        return torch.stack(
            [F.embedding(codes[:, g], layer._codebook.embed[0]) for g, layer in enumerate(self.layers)]
        )


class VqVae(nn.Module):
    """MLP encoder -> residual VQ -> MLP decoder over flattened action chunks (n, W*A).

    Buffer `discretized` (bool) marks the end of the VQ-VAE training phase.
    """

    def __init__(self, action_dim: int, chunk_size: int, embedding_dim: int, hidden_dim: int, n_embed: int):
        super().__init__()
        self.register_buffer("discretized", torch.tensor(False))
        self.chunk_size = chunk_size
        self.action_dim = action_dim
        self.embedding_dim = embedding_dim
        self.vq_layer = ResidualVQ(embedding_dim, n_embed, num_quantizers=2)
        in_dim = chunk_size * action_dim
        self.encoder = nn.Sequential(
            nn.Linear(in_dim, hidden_dim), nn.ReLU(),
            nn.Linear(hidden_dim, hidden_dim), nn.ReLU(),
            nn.Linear(hidden_dim, embedding_dim),
        )  # fmt: skip
        self.decoder = nn.Sequential(
            nn.Linear(embedding_dim, hidden_dim), nn.ReLU(),
            nn.Linear(hidden_dim, hidden_dim), nn.ReLU(),
            nn.Linear(hidden_dim, in_dim),
        )  # fmt: skip

    def _check_chunks(self, actions: Tensor) -> None:
        if actions.shape[-2:] != (self.chunk_size, self.action_dim):
            raise ValueError(
                f"The VQ-VAE encodes action chunks of shape (n, {self.chunk_size}, {self.action_dim}); got "
                f"{tuple(actions.shape)}."
            )

    def get_action_from_latent(self, latent: Tensor) -> Tensor:
        """(n, Dv) -> decoded action chunks (n, W, A)."""
        return self.decoder(latent).view(-1, self.chunk_size, self.action_dim)

    def get_code(self, actions: Tensor) -> tuple[Tensor, Tensor]:
        """(n, W, A) -> summed quantized latent (n, Dv) and codes (n, G)."""
        self._check_chunks(actions)
        latent = self.encoder(actions.reshape(actions.shape[0], -1))
        quantized, codes, _ = self.vq_layer(latent)
        return quantized, codes

    def draw_code_forward(self, codes: Tensor) -> Tensor:
        """codes (n, G) -> sum of the selected code vectors over layers (n, Dv)."""
        return self.vq_layer.get_codes_from_indices(codes).sum(dim=0)

    def vqvae_forward(self, actions: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Phase-1 loss on chunks (n, W, A): L1 reconstruction + 5 * sum of commitment losses.

        Returns (loss, codes (n, G), recon_l1_error, summed commitment loss).
        """
        self._check_chunks(actions)
        x = actions.reshape(actions.shape[0], -1)
        quantized, codes, commit = self.vq_layer(self.encoder(x))
        commit_loss = commit.sum()
        recon_l1 = (x - self.decoder(quantized)).abs().mean()
        return recon_l1 + commit_loss * 5, codes, recon_l1, commit_loss


def focal_loss(logits: Tensor, target: Tensor, gamma: float = 2.0) -> Tensor:
    """Mean over rows of -(1 - p_y)^gamma * log p_y with p = softmax(logits). logits (n, C), target (n,)."""
    logpt = F.log_softmax(logits, dim=-1).gather(1, target.view(-1, 1)).view(-1)
    pt = logpt.exp()
    return (-1 * (1 - pt) ** gamma * logpt).mean()
