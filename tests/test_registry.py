"""Every registered type of every family (lerobot/registry.py), constructed by name.

For each name: its config class is found and built with its defaults (plus the few required fields of the
family, e.g. a serial port), chosen by `--<field>.type=<name>` through the command-line parser, and its
class built from that config without touching hardware (robots, teleoperators and cameras are not
connected; a motor bus on a port that is never opened). A new policy, env, robot, teleoperator, camera
or bus added to the registry is tested here with no new line, except in tests/policies/registry_configs.py
for a policy's small sizes.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

import lerobot
from lerobot.cameras.configs import CameraConfig
from lerobot.configs.policies import PreTrainedConfig
from lerobot.envs.configs import EnvConfig
from lerobot.registry import (
    CAMERAS,
    ENVS,
    FAMILIES,
    MOTOR_BUSES,
    POLICIES,
    ROBOTS,
    TELEOPERATORS,
    Registry,
    UnknownTypeError,
)
from lerobot.robots.config import RobotConfig
from lerobot.teleoperators.config import TeleoperatorConfig
from tests.policies.registry_configs import SMALL_CONFIGS

REPO = Path(__file__).resolve().parents[1]

# Values for the required fields (no default) of device configs, by field name.
REQUIRED = {"port": "/dev/lerobot-test-no-such-port", "remote_ip": "127.0.0.1", "index_or_path": 0}
REQUIRED |= {"serial_number_or_name": "0123456789"}


def _bases() -> dict[str, tuple[type, type | None]]:
    """family -> (config base, class base)."""
    from lerobot.cameras.camera import Camera
    from lerobot.cameras.configs import CameraConfig
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.envs.configs import EnvConfig
    from lerobot.motors import MotorsBus
    from lerobot.policies.pretrained import PreTrainedPolicy
    from lerobot.robots.config import RobotConfig
    from lerobot.robots.robot import Robot
    from lerobot.teleoperators.config import TeleoperatorConfig
    from lerobot.teleoperators.teleoperator import Teleoperator

    return {
        "policies": (PreTrainedConfig, PreTrainedPolicy),
        "envs": (EnvConfig, None),
        "robots": (RobotConfig, Robot),
        "teleoperators": (TeleoperatorConfig, Teleoperator),
        "cameras": (CameraConfig, Camera),
        "motors": (None, MotorsBus),
    }


def required_args(config_cls: type) -> dict:
    missing = [
        f.name
        for f in dataclasses.fields(config_cls)
        if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    unknown = [name for name in missing if name not in REQUIRED]
    assert not unknown, f"{config_cls.__name__} requires {unknown}: add a test value to REQUIRED"
    return {name: REQUIRED[name] for name in missing}


def make_config(family: str, name: str):
    registry = FAMILIES[family]
    config_cls = registry.config_class(name)
    kwargs = required_args(config_cls)
    if family == "policies":
        kwargs |= {"device": "cpu", **SMALL_CONFIGS.get(name, {}).get("overrides", {})}
    return config_cls(**kwargs)


CASES = [(family, name) for family, registry in FAMILIES.items() for name in registry.names()]
CONFIG_CASES = [(f, n) for f, n in CASES if FAMILIES[f].entry(n).config is not None]


def test_every_family_has_its_builtin_types():
    assert {"act", "diffusion", "tdmpc", "vqbet"} <= set(POLICIES.names())
    assert {"aloha", "pusht", "xarm"} <= set(ENVS.names())
    assert {"so100_follower", "koch_follower", "aloha", "lekiwi"} <= set(ROBOTS.names())
    assert {"so100_leader", "koch_leader", "keyboard"} <= set(TELEOPERATORS.names())
    assert {"opencv", "intelrealsense"} <= set(CAMERAS.names())
    assert {"feetech", "dynamixel"} <= set(MOTOR_BUSES.names())


def test_every_policy_folder_is_registered():
    folders = {
        p.parent.name
        for p in (REPO / "lerobot" / "policies").glob("*/configuration_*.py")
        if p.parent.name in p.stem
    }
    assert folders <= set(POLICIES.names()), "add the policy to the POLICIES table of lerobot/registry.py"


BASE_OF_FAMILY = {
    "PreTrainedConfig": "policies",
    "EnvConfig": "envs",
    "RobotConfig": "robots",
    "TeleoperatorConfig": "teleoperators",
    "CameraConfig": "cameras",
}


def test_every_registered_config_of_the_library_is_in_the_tables():
    """A `@<Base>.register_subclass("<name>")` anywhere in lerobot/ has its line in lerobot/registry.py (else
    the name is known only after something imports its module)."""
    import ast

    missing = []
    for path in sorted((REPO / "lerobot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            base = node.func.value
            if (
                node.func.attr == "register_subclass"
                and isinstance(base, ast.Name)
                and base.id in BASE_OF_FAMILY
            ):
                name = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
                if name not in FAMILIES[BASE_OF_FAMILY[base.id]].names():
                    missing.append(f"{path.relative_to(REPO)}: {base.id} '{name}'")
    assert missing == [], "add these to lerobot/registry.py: " + ", ".join(missing)


def test_public_lists_come_from_the_registry():
    assert lerobot.available_policies == POLICIES.names()
    assert lerobot.available_envs == ENVS.names()
    assert lerobot.available_robots == ROBOTS.names()
    assert lerobot.available_teleoperators == TELEOPERATORS.names()
    assert lerobot.available_cameras == CAMERAS.names()
    assert lerobot.available_motors == MOTOR_BUSES.names()
    assert set(lerobot.available_tasks_per_env) == set(ENVS.names())
    for tasks in lerobot.available_tasks_per_env.values():
        assert tasks and all(isinstance(t, str) for t in tasks)
    for env, policies in lerobot.available_policies_per_env.items():
        assert set(policies) <= set(POLICIES.names()), env


def test_importing_lerobot_and_listing_imports_no_family():
    code = (
        "import sys, lerobot\n"
        "names = [lerobot.available_policies, lerobot.available_robots, lerobot.available_cameras]\n"
        "heavy = ('torch', 'draccus', 'gymnasium', 'numpy', 'lerobot.policies.act', 'lerobot.robots')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(("family", "name"), CONFIG_CASES)
def test_config_by_name(family, name):
    config_base, _ = _bases()[family]
    cfg = make_config(family, name)
    assert isinstance(cfg, config_base)
    assert cfg.type == name
    # draccus finds it through the base, as `--<field>.type=<name>` and config files do.
    assert config_base.get_choice_class(name) is type(cfg)
    assert config_base.get_known_choices()[name] is type(cfg)


@dataclasses.dataclass
class Cli:
    """A command taking one of each family by `type`."""

    # A policy.
    policy: PreTrainedConfig | None = None
    # An env.
    env: EnvConfig | None = None
    # A robot.
    robot: RobotConfig | None = None
    # A teleoperator.
    teleop: TeleoperatorConfig | None = None
    # Cameras: name -> camera config.
    cameras: dict[str, CameraConfig] = dataclasses.field(default_factory=dict)


FIELD = {"policies": "policy", "envs": "env", "robots": "robot", "teleoperators": "teleop"}


@pytest.mark.parametrize(("family", "name"), [c for c in CONFIG_CASES if c[0] in FIELD or c[0] == "cameras"])
def test_chosen_by_name_on_the_command_line(family, name):
    from lerobot.configs.parser import parse

    config_cls = FAMILIES[family].config_class(name)
    if family == "cameras":
        fields = "".join(f", {k}: {v}" for k, v in required_args(config_cls).items())
        cfg = parse(Cli, [f"--cameras={{front: {{type: {name}{fields}}}}}"])
        assert type(cfg.cameras["front"]) is config_cls
        return
    field = FIELD[family]
    args = [f"--{field}.type={name}"] + [f"--{field}.{k}={v}" for k, v in required_args(config_cls).items()]
    if family == "policies":
        args.append("--policy.device=cpu")
    cfg = parse(Cli, args)
    assert type(getattr(cfg, field)) is config_cls


def _policy_features(name: str) -> dict:
    from lerobot.configs.types import FeatureType, PolicyFeature

    features = {
        "observation.state": PolicyFeature(FeatureType.STATE, (2,)),
        "observation.image": PolicyFeature(FeatureType.VISUAL, (3, 32, 32)),
        "observation.environment_state": PolicyFeature(FeatureType.ENV, (16,)),
    }
    inputs = SMALL_CONFIGS[name]["inputs"]
    return {k: v for k, v in features.items() if k in inputs}


@pytest.mark.parametrize(("family", "name"), CASES)
def test_class_by_name_built_from_its_config(family, name):
    """The registered class, built from a config of its type: a policy (small sizes, no statistics), a
    device that is not connected, a motor bus whose port is never opened."""
    from lerobot.configs.types import FeatureType, PolicyFeature

    registry: Registry = FAMILIES[family]
    _, class_base = _bases()[family]
    if family == "envs":  # an env is built by gymnasium from its config (tests/envs/test_envs.py)
        assert registry.entry(name).cls is None
        return
    cls = registry.get_class(name)
    assert issubclass(cls, class_base)
    if family == "motors":
        from lerobot.motors import Motor, MotorNormMode

        assert cls.vendor == name
        model = sorted(cls.model_ctrl_table)[0]
        bus = cls(REQUIRED["port"], {"joint": Motor(1, model, MotorNormMode.DEGREES)})
        assert not bus.is_connected
        return
    assert cls.name == name
    cfg = make_config(family, name)
    if family == "policies":
        assert cls.config_class is type(cfg)
        assert name in SMALL_CONFIGS, "add the policy's small sizes to tests/policies/registry_configs.py"
        cfg.input_features = _policy_features(name)
        cfg.output_features = {"action": PolicyFeature(FeatureType.ACTION, (2,))}
        cfg.validate_features()
        policy = cls(cfg)
        assert sum(p.numel() for p in policy.parameters()) > 0
        return
    if family == "robots":
        from lerobot.robots.utils import make_robot_from_config

        device = make_robot_from_config(cfg)
    elif family == "teleoperators":
        from lerobot.teleoperators.utils import make_teleoperator_from_config

        device = make_teleoperator_from_config(cfg)
    else:
        from lerobot.cameras.utils import make_cameras_from_configs

        device = make_cameras_from_configs({"front": cfg})["front"]
    assert type(device) is cls
    assert not device.is_connected


def test_unknown_names_are_explained():
    from lerobot.cameras.utils import make_cameras_from_configs
    from lerobot.policies.factory import get_policy_class

    with pytest.raises(ValueError, match=r"Unknown policy type 'actt'.*Did you mean 'act'\?"):
        get_policy_class("actt")
    with pytest.raises(KeyError):  # what draccus expects of a choice lookup
        ROBOTS.config_class("so100_folower")
    with pytest.raises(UnknownTypeError, match=r"Unknown robot type 'so100_folower'.*'so100_follower'"):
        ROBOTS.get_class("so100_folower")
    opencv = CAMERAS.config_class("opencv")(index_or_path=0)
    with pytest.raises(LookupError, match="registers no config class"):
        MOTOR_BUSES.config_class("feetech")
    assert "opencv" in CAMERAS and "webcam" not in CAMERAS
    assert make_cameras_from_configs({"c": opencv})["c"].config is opencv


def test_register_plugins_by_string_or_object_and_refuse_a_taken_name():
    registry = Registry("gadget", "lerobot_gadget_", {"ref": (None, "pathlib:Path")})
    assert registry.get_class("ref") is Path
    registry.register("purepath", cls="pathlib:PurePath")
    assert registry.names() == ["purepath", "ref"]
    assert "purepath" in registry.classes and registry.classes["purepath"].__name__ == "PurePath"
    registry.register("ref", cls=Path)  # the same object again: fine
    with pytest.raises(ValueError, match="'ref' is already registered with cls pathlib:Path"):
        registry.register("ref", cls=dataclasses.Field)
    with pytest.raises(ValueError, match="must read 'package.module:Attribute'"):
        registry.register("bad", cls="pathlib.Path")
    with pytest.raises(ImportError, match="pathlib defines no Nope"):
        registry.register("nope", cls="pathlib:Nope")
        registry.get_class("nope")


def test_installed_plugin_packages_are_discovered(tmp_path, monkeypatch):
    package = tmp_path / "lerobot_gadget_demo"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from tests.test_registry import GADGETS\nGADGETS.register('demo', cls='pathlib:PurePosixPath')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert GADGETS.get_class("demo").__name__ == "PurePosixPath"  # imported on the first unknown name
        assert GADGETS.names() == ["demo"]
    finally:
        sys.modules.pop("lerobot_gadget_demo", None)


GADGETS = Registry("gadget", "lerobot_gadget_", {})
