"""v2.1 <-> v3.0 conversion: lossless data, stream-copied video, items identical to the reference's."""

import json

import av
import pyarrow.parquet as pq
import pytest
import torch

from lerobot.datasets.convert import convert_v21_to_v30, convert_v30_to_v21, main
from lerobot.datasets.lerobot_dataset import LeRobotDataset
from tests.datasets.conftest import load_expected


def _packets(path):
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(video=0) if p.size]


def _assert_items_match_reference(root, reference_fixtures, name):
    """Items of the dataset at `root` equal the reference's items of fixture `name` (plain and delta)."""
    exp, tensors = load_expected(reference_fixtures, name)
    for prefix, delta in (("", None), ("delta/", exp["delta_timestamps"])):
        ds = LeRobotDataset(f"local/{name}", root=root, delta_timestamps=delta)
        assert len(ds) == exp["len"]
        for spec in exp["items"]:
            i = spec["index"]
            item = ds[i]
            keys = spec["delta_keys"] if delta else spec["keys"]
            assert item["task"] == (spec["delta_task"] if delta else spec["task"])
            for key in keys:
                expected = tensors[f"{prefix}idx{i}/{key}"]
                assert item[key].dtype == expected.dtype and torch.equal(item[key], expected), (i, key)


def test_pusht_v21_round_trip_is_identical(tmp_path, reference_fixtures):
    src = reference_fixtures / "datasets/pusht_v21"
    v30 = convert_v21_to_v30(src, tmp_path / "v30", progress=False)
    back = convert_v30_to_v21(v30, tmp_path / "v21", progress=False)
    # metadata files: byte-identical
    for rel in ("meta/info.json", "meta/episodes.jsonl", "meta/tasks.jsonl", "meta/episodes_stats.jsonl"):
        assert (back / rel).read_bytes() == (src / rel).read_bytes(), rel
    # data: same arrow tables, schema and HF metadata; videos: the very same packets
    for path in sorted((src / "data").rglob("*.parquet")):
        mine = back / path.relative_to(src)
        assert pq.read_table(mine).equals(pq.read_table(path), check_metadata=True), path.name
    for path in sorted((src / "videos").rglob("*.mp4")):
        assert _packets(back / path.relative_to(src)) == _packets(path), path.name
    # items read by the library equal the reference's, for the v3.0 intermediate and the v2.1 result
    _assert_items_match_reference(v30, reference_fixtures, "pusht_v21")
    _assert_items_match_reference(back, reference_fixtures, "pusht_v21")
    info = json.loads((v30 / "meta/info.json").read_text())
    assert info["codebase_version"] == "v3.0" and "total_videos" not in info
    assert info["features"]["observation.state"]["fps"] == 10  # the reference converter adds fps
    eps = pq.read_table(v30 / "meta/episodes/chunk-000/file-000.parquet").to_pylist()
    assert [e["videos/observation.image/from_timestamp"] for e in eps] == pytest.approx(
        [0, 9.6, 18.6, 26.2, 34.0]
    )
    assert json.loads((v30 / "meta/stats.json").read_text())["index"]["count"] == [448]


def test_multicam_v30_to_v21_and_back(tmp_path, reference_fixtures):
    """The reverse converter on a v3.0 dataset spread over several files and chunks."""
    src = reference_fixtures / "datasets/multicam_v30"
    v21 = convert_v30_to_v21(src, tmp_path / "v21", progress=False)
    assert sorted(p.name for p in (v21 / "videos/chunk-000/observation.images.wrist").iterdir()) == [
        f"episode_{i:06d}.mp4" for i in range(4)
    ]
    _assert_items_match_reference(v21, reference_fixtures, "multicam_v30")
    again = convert_v21_to_v30(v21, tmp_path / "v30", progress=False)
    _assert_items_match_reference(again, reference_fixtures, "multicam_v30")


def test_cli(tmp_path, reference_fixtures, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0 and "--from" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--from", "v2.1", "--to", "v2.1", "a", "b"])  # same version: argparse error
    src = reference_fixtures / "datasets/pusht_v21"
    with pytest.raises(SystemExit) as exc:  # a user error: one line, exit status 2
        main(["--from", "v3.0", "--to", "v2.1", str(src), str(tmp_path / "out")])
    assert exc.value.code == 2
    assert "codebase_version is 'v2.1', expected v3." in capsys.readouterr().err
    assert main(["--from", "v2.1", "--to", "v3.0", "--no-progress", str(src), str(tmp_path / "out")]) == 0
    with pytest.raises(SystemExit) as exc:
        main(["--from", "v2.1", "--to", "v3.0", "--no-progress", str(src), str(tmp_path / "out")])
    assert exc.value.code == 2
    assert "not empty" in capsys.readouterr().err
