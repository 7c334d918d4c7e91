"""Time windows and stats on episode subsets (in any order) equal what the full dataset gives."""

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch

from lerobot.datasets.compute_stats import aggregate_stats
from lerobot.datasets.lerobot_dataset import LeRobotDataset
from tests.datasets.conftest import FIXTURE_DATASETS, load_expected

SUBSETS = {
    "pusht_v21": [[1, 3], [4, 2], [3], [2, 3, 4]],
    "pusht_v30": [[1, 3], [4, 2], [3], [2, 3, 4]],
    "multicam_v30": [[1, 3], [3, 0], [2], [1, 2, 3]],
}


def _sample_positions(ds: LeRobotDataset) -> list[int]:
    """First two, middle and last two rows of every loaded episode."""
    out = []
    for start, end in zip(
        ds.episode_data_index["from"].tolist(), ds.episode_data_index["to"].tolist(), strict=True
    ):
        out += [start, start + 1, (start + end) // 2, end - 2, end - 1]
    return sorted(set(out))


@pytest.mark.parametrize("name", FIXTURE_DATASETS)
def test_subset_windows_equal_full_dataset(reference_fixtures, name):
    exp, _ = load_expected(reference_fixtures, name)
    root = reference_fixtures / "datasets" / name
    delta = exp["delta_timestamps"]
    full = LeRobotDataset(f"local/{name}", root=root, delta_timestamps=delta)
    for episodes in SUBSETS[name]:
        sub = LeRobotDataset(f"local/{name}", root=root, episodes=episodes, delta_timestamps=delta)
        assert sub.episodes == episodes
        assert sub.num_episodes == len(episodes)
        lengths = [full.meta.episode_range(e)[1] - full.meta.episode_range(e)[0] for e in sorted(episodes)]
        assert len(sub) == sum(lengths)
        assert (sub.episode_data_index["to"] - sub.episode_data_index["from"]).tolist() == lengths
        for j in _sample_positions(sub):
            item = sub[j]
            assert int(item["episode_index"]) in episodes
            ref = full[int(item["index"])]  # the full dataset's position == global index
            assert sorted(item) == sorted(ref)
            assert item["task"] == ref["task"]
            for key, value in ref.items():
                if key != "task":
                    assert torch.equal(item[key], value), (episodes, j, key)


def _episode_stats_from_disk(root, version: str) -> dict[int, dict]:
    """Per-episode stats read independently of the library (jsonl for v2.1, episodes parquet for v3)."""
    out = {}
    if version == "v2.1":
        for line in (root / "meta/episodes_stats.jsonl").read_text().splitlines():
            row = json.loads(line)
            out[row["episode_index"]] = {
                k: {s: np.asarray(v) for s, v in st.items()} for k, st in row["stats"].items()
            }
        return out
    for path in sorted((root / "meta/episodes").glob("*/*.parquet")):
        for row in pq.read_table(path).to_pylist():
            stats: dict = {}
            for col, value in row.items():
                if col.startswith("stats/"):
                    feature, stat = col[len("stats/") :].rsplit("/", 1)
                    stats.setdefault(feature, {})[stat] = np.asarray(value)
            out[row["episode_index"]] = stats
    return out


@pytest.mark.parametrize("name", FIXTURE_DATASETS)
def test_subset_stats(reference_fixtures, name):
    exp, _ = load_expected(reference_fixtures, name)
    root = reference_fixtures / "datasets" / name
    per_episode = _episode_stats_from_disk(root, exp["codebase_version"])
    for episodes in SUBSETS[name]:
        ds = LeRobotDataset(f"local/{name}", root=root, episodes=episodes)
        expected = aggregate_stats([per_episode[e] for e in sorted(episodes)])
        assert sorted(ds.stats) == sorted(expected)
        for key in expected:
            for stat, value in expected[key].items():
                np.testing.assert_allclose(
                    ds.stats[key][stat], value, rtol=1e-12, err_msg=f"{episodes} {key}/{stat}"
                )
        # a subset's stats are those of its own frames: min/max bound the loaded values
        state = torch.stack([ds[i]["observation.state"] for i in range(len(ds))]).numpy()
        np.testing.assert_allclose(ds.stats["observation.state"]["min"], state.min(0), rtol=1e-6)
        np.testing.assert_allclose(ds.stats["observation.state"]["max"], state.max(0), rtol=1e-6)
        assert ds.meta.stats["observation.state"]["count"][0] == exp["len"]  # meta keeps the full stats


def test_all_episodes_explicit_matches_stats_json(reference_fixtures):
    """v3: aggregating every episode's stats reproduces meta/stats.json (quantiles included)."""
    root = reference_fixtures / "datasets" / "multicam_v30"
    ds = LeRobotDataset("local/multicam_v30", root=root, episodes=[0, 1, 2, 3])
    for key, ft_stats in ds.meta.stats.items():
        for stat, value in ft_stats.items():
            np.testing.assert_allclose(
                ds.stats[key][stat], value, rtol=1e-6, atol=1e-9, err_msg=f"{key}/{stat}"
            )


@pytest.mark.parametrize("name", ["pusht_v21", "multicam_v30"])
def test_dataloader_with_workers_on_subset(reference_fixtures, name):
    """Forked workers decode videos and collate windows; `task` collates to a list of strings."""
    exp, _ = load_expected(reference_fixtures, name)
    root = reference_fixtures / "datasets" / name
    episodes = SUBSETS[name][1]
    ds = LeRobotDataset(
        f"local/{name}", root=root, episodes=episodes, delta_timestamps=exp["delta_timestamps"]
    )
    ds[0]  # open decoders in the parent first: workers must not reuse them
    loader = torch.utils.data.DataLoader(ds, batch_size=16, num_workers=2, shuffle=False)
    indices = []
    for batch in loader:
        assert isinstance(batch["task"], list) and isinstance(batch["task"][0], str)
        assert batch["action"].shape[1:] == (
            len(exp["delta_timestamps"]["action"]),
            ds.features["action"]["shape"][0],
        )
        indices += batch["index"].tolist()
    assert indices == [int(ds[i]["index"]) for i in range(len(ds))]
    last = ds[len(ds) - 1]
    assert torch.equal(batch["action"][-1], last["action"])
    cam = ds.meta.video_keys[0]
    assert torch.equal(batch[cam][-1], last[cam])


def test_episode_files_with_different_stats_columns(dataset_copy):
    """v3: an episodes file without quantile columns (older writer) still loads; subset stats keep the
    statistics every selected episode has."""
    root = dataset_copy("multicam_v30")
    path = root / "meta/episodes/chunk-001/file-000.parquet"  # episode 3
    table = pq.read_table(path)
    pq.write_table(table.drop_columns([c for c in table.column_names if c.endswith(("/q01", "/q99"))]), path)
    ds = LeRobotDataset("local/multicam_v30", root=root, episodes=[2, 3])
    state = ds.stats["observation.state"]
    assert "q01" not in state and "q10" in state and state["count"].tolist() == [32 + 38]
    assert "q01" in LeRobotDataset("local/multicam_v30", root=root, episodes=[0, 2]).stats["action"]
