"""Every `examples/*.py` runs (LEROBOT_EXAMPLES_QUICK=1: a tiny dataset, a few training steps, a short
rollout), in the order a reader follows them: 1 records the dataset, 3 trains the policy that 2 and
advanced/2 load. In-process (`runpy`), so torch and the env packages are imported once."""

import re
import runpy
import sys

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples"
ORDER = [
    "1_load_lerobot_dataset.py",
    "3_train_policy.py",
    "2_evaluate_pretrained_policy.py",
    "advanced/1_add_image_transforms.py",
    "advanced/2_calculate_validation_loss.py",
]


def test_every_example_is_listed():
    found = sorted(p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.py"))
    assert found == sorted(ORDER)


@pytest.mark.slow
def test_examples_run_in_order(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LEROBOT_EXAMPLES_DIR", str(tmp_path))
    monkeypatch.setenv("LEROBOT_EXAMPLES_QUICK", "1")
    monkeypatch.setenv("MUJOCO_GL", "egl")
    outputs = {}
    for name in ORDER:
        monkeypatch.setattr(sys, "argv", [str(EXAMPLES / name)])
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
        outputs[name] = capsys.readouterr().out

    assert re.search(r"3 episodes, \d+ frames at 10 fps", outputs["1_load_lerobot_dataset.py"])
    assert "action chunk (8, 2)" in outputs["1_load_lerobot_dataset.py"]
    assert "step 3: loss" in outputs["3_train_policy.py"]
    assert (tmp_path / "train_act/pretrained_model/model.safetensors").is_file()
    video = tmp_path / "eval_example/rollout.mp4"
    assert video.stat().st_size > 0 and "20 steps, max reward" in outputs["2_evaluate_pretrained_policy.py"]
    import av

    with av.open(str(video)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 21  # the reset frame + 20 steps
    original = np.asarray(Image.open(tmp_path / "image_transforms/original.png"))
    augmented = [np.asarray(Image.open(tmp_path / f"image_transforms/augmented_{i}.png")) for i in range(4)]
    assert all(a.shape == original.shape == (96, 96, 3) for a in augmented)
    assert any(not np.array_equal(a, original) for a in augmented)
    assert (
        "Validation loss over 30 frames of 1 episode(s)" in outputs["advanced/2_calculate_validation_loss.py"]
    )
