"""`lerobot.common.*` (the early README's import paths) resolve to today's modules: lerobot/utils/import_aliases.py."""

import subprocess
import sys

import pytest

from lerobot.utils.import_aliases import ALIASES, new_name


def _run(code: str) -> subprocess.CompletedProcess:
    """A fresh interpreter (nothing imported yet), DeprecationWarnings shown."""
    return subprocess.run(
        [sys.executable, "-W", "always::DeprecationWarning", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_old_paths_are_the_same_module_objects_with_one_warning():
    proc = _run(
        "import lerobot.common.policies.act.modeling_act as old\n"
        "import lerobot.policies.act.modeling_act as new\n"
        "from lerobot.common.datasets.lerobot_dataset import LeRobotDataset\n"
        "from lerobot.datasets import lerobot_dataset\n"
        "from lerobot.common.envs.factory import make_env_config\n"
        "from lerobot.common.utils import constants\n"
        "import lerobot.common.policies.diffusion.modeling_diffusion\n"
        "import lerobot.envs.factory, lerobot.utils.constants, sys\n"
        "assert old is new and old.ACTPolicy is new.ACTPolicy\n"
        "assert LeRobotDataset is lerobot_dataset.LeRobotDataset\n"
        "assert make_env_config is lerobot.envs.factory.make_env_config\n"
        "assert constants is lerobot.utils.constants\n"
        "assert sys.modules['lerobot.common.policies.act.modeling_act'] is new\n"
        "assert new.__name__ == 'lerobot.policies.act.modeling_act'  # the module is not renamed\n"
        "print('ok')\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
    warnings = [line for line in proc.stderr.splitlines() if "DeprecationWarning" in line]
    # one warning per moved package, naming the new path
    assert len(warnings) == 4, proc.stderr
    assert any("lerobot.common.policies moved to lerobot.policies" in w for w in warnings)
    assert any("lerobot.common.datasets moved to lerobot.datasets" in w for w in warnings)
    assert any("lerobot.common.envs moved to lerobot.envs" in w for w in warnings)
    assert any("lerobot.common.utils moved to lerobot.utils" in w for w in warnings)


def test_robot_devices_map_what_maps():
    proc = _run(
        "from lerobot.common.robot_devices.robots.configs import So100RobotConfig\n"
        "from lerobot.common.robot_devices.motors.feetech import feetech as old_ft\n"
        "from lerobot.common.robot_devices.cameras.intelrealsense import camera_realsense as old_rs\n"
        "import lerobot.legacy.devices as legacy, lerobot.motors.feetech.feetech as ft\n"
        "import lerobot.cameras.realsense.camera_realsense as rs\n"
        "assert So100RobotConfig is legacy.So100RobotConfig and old_ft is ft and old_rs is rs\n"
        "print('ok')\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert "lerobot.common.robot_devices.robots.configs moved to lerobot.legacy.devices" in proc.stderr


def test_unknown_old_names_raise_module_not_found_naming_both_paths():
    with (
        pytest.warns(DeprecationWarning, match="lerobot.common.datasets moved") as record,
        pytest.raises(
            ModuleNotFoundError, match=r"lerobot\.common\.datasets\.factory.*lerobot\.datasets\.factory"
        ),
    ):
        import lerobot.common.datasets.factory  # noqa: F401
    assert record[0].filename == __file__  # the warning points at the import statement
    with pytest.raises(ModuleNotFoundError, match="lerobot.common.robot_devices has no such sub-package"):
        import lerobot.common.robot_devices.control_utils  # noqa: F401
    with pytest.raises(ModuleNotFoundError):
        import lerobot.common.nothing  # noqa: F401


def test_mapping_table():
    assert new_name("lerobot.common.policies.act.modeling_act") == (
        "lerobot.policies.act.modeling_act",
        "lerobot.common.policies",
    )
    assert new_name("lerobot.common.robot_devices.cameras.opencv") == (
        "lerobot.cameras.opencv",
        "lerobot.common.robot_devices.cameras",
    )
    assert new_name("lerobot.common") == (None, "lerobot.common")
    for new in ALIASES.values():  # every target exists
        if new is not None:
            __import__(new)
