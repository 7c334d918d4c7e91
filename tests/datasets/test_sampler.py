"""EpisodeAwareSampler."""

import pytest
import torch

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.datasets.sampler import EpisodeAwareSampler

FROM = [0, 5, 12]
TO = [5, 12, 15]


def test_all_frames_in_order():
    assert list(EpisodeAwareSampler(FROM, TO)) == list(range(15))
    assert len(EpisodeAwareSampler(FROM, TO)) == 15


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"drop_n_first_frames": 1}, [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 13, 14]),
        ({"drop_n_last_frames": 2}, [0, 1, 2, 5, 6, 7, 8, 9, 12]),
        ({"drop_n_first_frames": 1, "drop_n_last_frames": 1}, [1, 2, 3, 6, 7, 8, 9, 10, 13]),
        ({"episode_indices_to_use": [2, 0]}, [0, 1, 2, 3, 4, 12, 13, 14]),
        ({"episode_indices_to_use": [1], "drop_n_last_frames": 5}, [5, 6]),
        ({"drop_n_last_frames": 10}, []),
    ],
)
def test_drop_and_select(kwargs, expected):
    assert list(EpisodeAwareSampler(FROM, TO, **kwargs)) == expected


def test_shuffle_is_a_seeded_permutation():
    sampler = EpisodeAwareSampler(torch.tensor(FROM), torch.tensor(TO), drop_n_last_frames=1, shuffle=True)
    torch.manual_seed(0)
    first = list(sampler)
    assert sorted(first) == list(EpisodeAwareSampler(FROM, TO, drop_n_last_frames=1))
    assert first != sorted(first)
    torch.manual_seed(0)
    assert list(sampler) == first
    assert list(sampler) != first  # a new permutation every epoch


def test_episode_data_index_dict():
    edi = {"from": torch.tensor(FROM), "to": torch.tensor(TO)}
    assert list(EpisodeAwareSampler(edi, drop_n_first_frames=4)) == [4, 9, 10, 11]


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((FROM, TO[:2]), {}, "3 episode starts but 2 episode ends"),
        ((FROM,), {}, "dataset_to_indices is required"),
        ((FROM, TO), {"drop_n_last_frames": -1}, "drop_n_last_frames must be a non-negative int"),
        ((FROM, TO), {"episode_indices_to_use": [3]}, r"episode_indices_to_use \[3\] are out of range"),
        (([5], [2]), {}, "end row 2 is before start row 5"),
    ],
)
def test_bad_arguments(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        EpisodeAwareSampler(*args, **kwargs)


def test_with_dataset_subset_and_dataloader(reference_fixtures):
    """Indices are in the dataset's own index space, so a subset samples only its own episodes."""
    ds = LeRobotDataset(
        "local/pusht_v30", root=reference_fixtures / "datasets" / "pusht_v30", episodes=[4, 1]
    )
    edi = ds.episode_data_index
    sampler = EpisodeAwareSampler(edi["from"], edi["to"], drop_n_last_frames=7, shuffle=True)
    assert len(sampler) == (90 - 7) + (108 - 7)
    loader = torch.utils.data.DataLoader(ds, batch_size=64, sampler=sampler)
    batches = list(loader)  # one epoch (each iteration reshuffles)
    frames = torch.cat([b["frame_index"] for b in batches])
    episodes = torch.cat([b["episode_index"] for b in batches])
    assert set(episodes.tolist()) == {1, 4}
    lengths = torch.where(episodes == 1, 90, 108)
    assert bool((frames < lengths - 7).all())
