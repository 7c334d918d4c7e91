"""Small configs for the registry-wide policy tests (`test_policies.py`).

One entry per registered policy type: which inputs of the synthetic PushT-like dataset (camera 32x32) it takes and the
config overrides that keep it small enough for a 2-core CPU. A new policy adds one line here.
"""

SMALL_CONFIGS: dict[str, dict] = {
    "act": {
        "inputs": ["observation.image", "observation.state"],
        "overrides": {
            "chunk_size": 6,
            "n_action_steps": 3,
            "dim_model": 32,
            "n_heads": 2,
            "dim_feedforward": 64,
            "n_encoder_layers": 1,
            "n_decoder_layers": 1,
            "n_vae_encoder_layers": 1,
            "latent_dim": 4,
            "pretrained_backbone_weights": None,
        },
    },
    "diffusion": {
        "inputs": ["observation.image", "observation.state"],
        "overrides": {
            "n_obs_steps": 2,
            "horizon": 8,
            "n_action_steps": 4,
            "down_dims": (16, 32),
            "kernel_size": 3,
            "n_groups": 4,
            "diffusion_step_embed_dim": 16,
            "spatial_softmax_num_keypoints": 8,
            "noise_scheduler_type": "DDIM",
            "num_inference_steps": 2,
        },
    },
    "tdmpc": {
        "inputs": ["observation.state", "observation.environment_state"],
        "overrides": {
            "horizon": 3,
            "latent_dim": 8,
            "mlp_dim": 16,
            "state_encoder_hidden_dim": 16,
            "q_ensemble_size": 3,
            "n_gaussian_samples": 8,
            "n_pi_samples": 4,
            "n_elites": 3,
            "cem_iterations": 1,
        },
    },
    "vqbet": {
        "inputs": ["observation.image", "observation.state"],
        "overrides": {
            "n_obs_steps": 3,
            "n_action_pred_token": 3,
            "action_chunk_size": 5,
            "crop_shape": (24, 24),
            "spatial_softmax_num_keypoints": 8,
            "vqvae_n_embed": 8,
            "vqvae_embedding_dim": 16,
            "vqvae_enc_hidden_dim": 16,
            "gpt_block_size": 64,
            "gpt_input_dim": 32,
            "gpt_output_dim": 32,
            "gpt_n_layer": 1,
            "gpt_n_head": 2,
            "gpt_hidden_dim": 32,
        },
    },
}
