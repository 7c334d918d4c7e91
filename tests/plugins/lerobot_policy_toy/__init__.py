"""A policy defined outside the `lerobot` package: the worked example of docs/contributing.md.

An installed top-level package named `lerobot_policy_*` is imported by lerobot the first time the policy
registry is listed or asked for a name it does not know, so `--policy.type=toy` works on the command line
as soon as this folder is on the Python path (tests/test_plugin_policy.py puts it there). Registering with
strings keeps torch out of `import lerobot_policy_toy`: the modules load when the policy is used.
"""

from lerobot.registry import POLICIES

POLICIES.register(
    "toy",
    config="lerobot_policy_toy.configuration_toy:ToyConfig",
    cls="lerobot_policy_toy.modeling_toy:ToyPolicy",
)
