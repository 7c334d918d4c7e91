"""lerobot-dataset-check: every fixture passes; each seeded corruption is found, named with its file,
episode and frame; --fix repairs totals and stats through the crash-safe commit."""

import json
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lerobot.datasets.tools.check import check_dataset, fix_dataset
from lerobot.scripts.lerobot_dataset_check import main
from tests.datasets.conftest import FIXTURE_DATASETS
from tests.datasets.factories import make_dataset
from tests.datasets.tools.helpers import rc

DATA = "data/chunk-000/file-000.parquet"
VIDEO = "videos/observation.image/chunk-000/file-000.mp4"
EPISODES = "meta/episodes/chunk-000/file-000.parquet"


@pytest.fixture(scope="module")
def clean_dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("check") / "clean"
    return make_dataset(root, n_episodes=2, episode_length=8, vcodec="h264", camera_shape=(32, 32, 3))


@pytest.fixture
def ds(clean_dataset, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(clean_dataset, root)
    return root


def _edit_table(path, fn):
    table = pq.read_table(path)
    table = fn(table)
    pq.write_table(table, path)


def _set(table, name, values):
    i = table.schema.get_field_index(name)
    return table.set_column(i, table.schema.field(i), pa.array(values, table.schema.field(i).type))


def _edit_json(path, fn):
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def _one(problems, *needles):
    text = "\n".join(map(str, problems))
    assert problems, "no problem found"
    for needle in needles:
        assert needle in text, (needle, text)
    return text


@pytest.mark.parametrize("name", FIXTURE_DATASETS)
def test_every_fixture_is_clean(name, fixture_dataset_root, capsys):
    assert check_dataset(fixture_dataset_root(name)) == []
    assert rc(main, [str(fixture_dataset_root(name))]) == 0


def test_factory_dataset_is_clean(ds):
    assert check_dataset(ds) == []


def test_missing_data_file(ds):
    (ds / DATA).unlink()
    _one(check_dataset(ds), DATA, "data file missing", "episode 0")


def test_missing_video_file(ds):
    (ds / VIDEO).unlink()
    _one(check_dataset(ds), VIDEO, "video file of 'observation.image' missing", "episode 1")


def test_truncated_video(ds):
    data = (ds / VIDEO).read_bytes()
    (ds / VIDEO).write_bytes(data[: len(data) // 3])
    _one(check_dataset(ds), VIDEO, "not decodable")


def test_timestamp_off_grid(ds):
    def shift(t):
        ts = t.column("timestamp").to_numpy().copy()
        ts[8 + 3] += 0.02  # episode 1, frame 3
        return _set(t, "timestamp", ts)

    _edit_table(ds / DATA, shift)
    _one(check_dataset(ds), DATA, "episode 1, frame 3", "off the 10 fps grid")


def test_index_gap(ds):
    _edit_table(ds / DATA, lambda t: _set(t, "index", [*range(10), *range(11, 17)]))
    _one(check_dataset(ds), "episode 1, frame 2", "index 11, expected 10")


def test_frame_index_wrong(ds):
    _edit_table(ds / DATA, lambda t: _set(t, "frame_index", [0, 1, 2, 2, 4, 5, 6, 7] * 2))
    _one(check_dataset(ds), "episode 0, frame 3", "frame_index 2, expected 3")


def test_unknown_task_index(ds):
    _edit_table(ds / DATA, lambda t: _set(t, "task_index", [0] * 8 + [0, 7] + [1] * 6))
    _one(check_dataset(ds), "episode 1, frame 1", "task_index 7 is not a known task")


def test_column_type_differs_from_schema(ds):
    def to_f64(t):
        i = t.schema.get_field_index("action")
        col = pa.array([list(map(float, v)) for v in t.column("action").to_pylist()], pa.list_(pa.float64()))
        return t.set_column(i, pa.field("action", col.type), col)

    _edit_table(ds / DATA, to_f64)
    _one(check_dataset(ds), DATA, "column 'action' has type")


def test_missing_column(ds):
    _edit_table(ds / DATA, lambda t: t.drop_columns(["observation.state"]))
    _one(check_dataset(ds), DATA, "missing column(s) ['observation.state']")


def test_video_segment_shorter_than_episode(ds):
    def shorten(t):
        col = "videos/observation.image/to_timestamp"
        return _set(t, col, [v - 0.5 for v in t.column(col).to_pylist()])

    _edit_table(ds / EPISODES, shorten)
    _one(check_dataset(ds), VIDEO, "episode 0", "shorter than the episode's 8 frames")


def test_wrong_totals_are_fixed(ds):
    _edit_json(ds / "meta/info.json", lambda d: d.update(total_frames=99))
    _one(check_dataset(ds), "meta/info.json", "'total_frames' is 99 but", "fixable")
    fixed, remaining = fix_dataset(ds)
    assert fixed and remaining == []
    assert json.loads((ds / "meta/info.json").read_text())["total_frames"] == 16
    assert not (ds / ".staging").exists()


def test_stale_dataset_stats_are_fixed(ds, capsys):
    _edit_json(ds / "meta/stats.json", lambda d: d["action"].update(mean=[5.0] * 6))
    _one(check_dataset(ds), "meta/stats.json", "dataset stats of 'action' stat 'mean' are stale")
    assert rc(main, [str(ds)]) == 1
    assert rc(main, [str(ds), "--fix"]) == 0
    assert check_dataset(ds) == []


def test_nan_in_dataset_stats(ds):
    _edit_json(ds / "meta/stats.json", lambda d: d["observation.state"].update(std=[float("nan")] * 6))
    _one(check_dataset(ds), "meta/stats.json", "'observation.state'", "NaN")
    assert fix_dataset(ds)[1] == []


def test_episode_stats_inconsistent_with_data(ds):
    def bump(t):
        col = "stats/observation.state/max"
        return _set(t, col, [list(np.asarray(v) + 1.0) for v in t.column(col).to_pylist()])

    _edit_table(ds / EPISODES, bump)
    _one(check_dataset(ds), "episode 0", "stats of 'observation.state' stat 'max' do not match the data")
    fixed, remaining = fix_dataset(ds)
    assert remaining == []


def test_cli_usage_error_is_one_line_exit_2(tmp_path, capsys):
    assert rc(main, [str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "is not a folder" in err


def test_camera_stats_out_of_range(ds):
    def scale(t):
        col = "stats/observation.image/mean"
        return _set(t, col, [(np.asarray(v) * 255).tolist() for v in t.column(col).to_pylist()])

    _edit_table(ds / EPISODES, scale)
    _one(
        check_dataset(ds),
        "meta/episodes, episode 0",
        "stats of camera 'observation.image' stat 'mean'",
        "[0, 1]",
    )
