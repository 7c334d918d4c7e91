"""Policies: one folder per family, registered by `type` name.

    act/        configuration_act.py (ACTConfig, "act"), modeling_act.py (ACTPolicy)
    diffusion/  configuration_diffusion.py, modeling_diffusion.py
    tdmpc/      configuration_tdmpc.py, modeling_tdmpc.py
    vqbet/      configuration_vqbet.py, modeling_vqbet.py

Shared code: `pretrained.py` (PreTrainedPolicy: interface, save/load of both checkpoint layouts),
`normalize.py` (statistics and the processor files), `factory.py` (get_policy_class, make_policy_config,
make_policy), `resnet.py` (torchvision-named ResNets), `vision.py` (crop / spatial softmax), `utils.py`.
Nothing is imported here so that `import lerobot.policies` stays cheap; the `POLICIES` table of
lerobot/registry.py names each policy's two modules, imported when the policy is used.
"""
