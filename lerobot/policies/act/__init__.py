"""ACT (Action Chunking Transformer, Zhao et al. 2023), registered as `type: act`."""
