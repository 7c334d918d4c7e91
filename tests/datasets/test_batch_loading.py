"""Batched loading (LeRobotDataset.__getitems__): items equal the per-sample path, each frame decoded once,
uint8 frames turned into the same float values by the policy's normalization."""

import numpy as np
import pytest
import torch

from lerobot.configs.types import FeatureType, NormalizationMode, PolicyFeature
from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.datasets.video import decoding
from lerobot.policies.normalize import Normalizer, uint8_frames_to_float
from tests.datasets.conftest import FIXTURE_DATASETS, load_expected


def _assert_items_equal(got: list[dict], want: list[dict]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert sorted(a) == sorted(b)
        for key in a:
            if isinstance(a[key], torch.Tensor):
                assert a[key].dtype == b[key].dtype and torch.equal(a[key], b[key]), key
            else:
                assert a[key] == b[key], key


def _fixture_dataset(fixtures, name: str, windows: bool = True, **kwargs) -> LeRobotDataset:
    """A fixture dataset, with the time windows of its expected items (none when `windows` is False)."""
    exp, _ = load_expected(fixtures, name)
    delta_timestamps = exp["delta_timestamps"] if windows else None
    return LeRobotDataset(
        f"local/{name}", root=fixtures / "datasets" / name, delta_timestamps=delta_timestamps, **kwargs
    )


@pytest.mark.parametrize("name", FIXTURE_DATASETS)
@pytest.mark.parametrize("return_uint8", [False, True], ids=["float", "uint8"])
def test_batch_items_equal_single_items(reference_fixtures, name, return_uint8):
    ds = _fixture_dataset(reference_fixtures, name, return_uint8=return_uint8)
    # Shuffled, with repeats, neighbours (overlapping windows), episode edges (padding) and a negative index.
    gen = torch.Generator().manual_seed(0)
    batch = torch.randperm(len(ds), generator=gen)[:12].tolist() + [0, 1, 2, 2, len(ds) - 1, -1]
    decoding.clear_video_reader_cache()
    got = ds.__getitems__(batch)
    decoding.clear_video_reader_cache()
    _assert_items_equal(got, [ds[i] for i in batch])
    if return_uint8 and ds.meta.video_keys:
        assert got[0][ds.meta.video_keys[0]].dtype == torch.uint8


def test_batch_items_match_reference_fixture(reference_fixtures):
    """The fixture's expected items (float frames of the reference) come out of a batch unchanged."""
    name = "multicam_v30"
    exp, tensors = load_expected(reference_fixtures, name)
    ds = _fixture_dataset(reference_fixtures, name)
    ds8 = _fixture_dataset(reference_fixtures, name, return_uint8=True)
    indices = [spec["index"] for spec in exp["items"]]
    items, items8 = ds.__getitems__(indices), ds8.__getitems__(indices)
    for spec, item, item8 in zip(exp["items"], items, items8, strict=True):
        for key in ds.meta.video_keys:
            expected = tensors[f"delta/idx{spec['index']}/{key}"]
            assert torch.equal(item[key], expected), (spec["index"], key)
            assert torch.equal(uint8_frames_to_float(item8[key]), expected), (spec["index"], key)


def test_each_frame_of_a_batch_is_decoded_once(reference_fixtures, monkeypatch):
    name = "pusht_v30"
    root = reference_fixtures / "datasets" / name
    ds = LeRobotDataset(
        f"local/{name}",
        root=root,
        delta_timestamps={"observation.image": [-0.2, -0.1, 0.0]},
        return_uint8=True,
    )
    decoded: list[tuple[str, int]] = []
    seeks: list[str] = []
    original_decode_until, original_seek = decoding._Reader._decode_until, decoding._Reader._seek

    def counting_decode_until(self, t_stop):
        before = len(self.frames)
        original_decode_until(self, t_stop)
        decoded.extend((str(self.path), entry[1].pts) for entry in self.frames[before:])

    def counting_seek(self, t):
        seeks.append(str(self.path))
        original_seek(self, t)

    monkeypatch.setattr(decoding._Reader, "_decode_until", counting_decode_until)
    monkeypatch.setattr(decoding._Reader, "_seek", counting_seek)
    decoding.clear_video_reader_cache()
    batch = list(range(3, 15))  # 12 consecutive samples: windows overlap, 14 distinct frames
    ds.__getitems__(batch)
    assert len(decoded) == len(set(decoded)), "a frame was decoded twice"
    assert len(seeks) <= 1  # one run of neighbouring frames: at most one seek
    decoding.clear_video_reader_cache()
    decoded.clear()
    for i in batch:  # the per-sample path decodes shared frames again after seeking
        ds[i]
    assert len(decoded) >= 14


def test_uint8_to_float_is_bitwise_the_dataset_float():
    values = np.arange(256, dtype=np.uint8)
    lut = uint8_frames_to_float(torch.from_numpy(values))
    assert lut.dtype == torch.float32
    assert torch.equal(lut, torch.from_numpy(values / np.float32(255)))  # the video decoder's float path
    assert torch.equal(lut, torch.from_numpy(values).float().div_(255))  # the PNG image path


@pytest.mark.parametrize(
    "mode", [NormalizationMode.MEAN_STD, NormalizationMode.MIN_MAX, NormalizationMode.IDENTITY]
)
def test_normalizer_gives_the_same_values_for_uint8_and_float_frames(mode):
    key = "observation.image"
    features = {key: PolicyFeature(type=FeatureType.VISUAL, shape=(3, 4, 5))}
    gen = torch.Generator().manual_seed(0)
    stats = {
        key: {
            "mean": torch.rand(3, 1, 1, generator=gen),
            "std": torch.rand(3, 1, 1, generator=gen) + 0.1,
            "min": torch.zeros(3, 1, 1),
            "max": torch.rand(3, 1, 1, generator=gen) + 0.5,
        }
    }
    norm = Normalizer(features, {"VISUAL": mode}, stats)
    frames = torch.randint(0, 256, (2, 3, 3, 4, 5), generator=gen, dtype=torch.uint8)
    as_float = torch.from_numpy(frames.numpy() / np.float32(255))
    out8 = norm.normalize({key: frames})[key]
    assert out8.dtype == torch.float32
    assert torch.equal(out8, norm.normalize({key: as_float})[key])
    # Frames laid out channels-last in memory come out contiguous, with the same values.
    channels_last = frames.permute(0, 1, 3, 4, 2).contiguous().permute(0, 1, 4, 2, 3)
    out_cl = norm.normalize({key: channels_last})[key]
    assert out_cl.is_contiguous() and torch.equal(out_cl, out8)


def test_dataloader_with_batch_sampler_uses_whole_batches(reference_fixtures):
    """Through a DataLoader (1 worker, batch sampler), batches equal the collated per-sample items."""
    ds = _fixture_dataset(reference_fixtures, "pusht_v21")
    batches = [[5, 1, 2, 3], [len(ds) - 1, 0, 7, 7]]
    loader = torch.utils.data.DataLoader(ds, batch_sampler=batches, num_workers=1)
    for got, indices in zip(loader, batches, strict=True):
        _assert_items_equal([got], [torch.utils.data.default_collate([ds[i] for i in indices])])


@pytest.mark.parametrize("name", FIXTURE_DATASETS)
@pytest.mark.parametrize("with_delta", [False, True], ids=["plain", "delta"])
def test_get_batch_equals_collated_items(reference_fixtures, name, with_delta):
    """The column-wise batch (training path) equals default collation of the items, bit for bit."""
    for return_uint8 in (False, True):
        ds = _fixture_dataset(reference_fixtures, name, windows=with_delta, return_uint8=return_uint8)
        batch = [7, 0, len(ds) - 1, 3, 4, 5, 5, -2]
        want = torch.utils.data.default_collate([ds[i] for i in batch])
        _assert_batches_equal(ds.get_batch(batch), want)
        # Channels-last memory (the training DataLoader's): same shapes and values, (B, [T,] H, W, C) strides.
        got = ds.get_batch(torch.tensor(batch), channels_last=True)
        _assert_batches_equal(got, want)
        for key in ds.meta.video_keys:
            assert got[key].stride()[-3] == 1, key  # C is the innermost dimension in memory


def _assert_batches_equal(got: dict, want: dict) -> None:
    assert list(got) == list(want)
    for key in got:
        if isinstance(got[key], torch.Tensor):
            assert got[key].dtype == want[key].dtype and torch.equal(got[key], want[key]), key
        else:
            assert got[key] == want[key], key


def test_training_dataloader_matches_plain_dataloader(reference_fixtures):
    """make_dataloader (1 worker, whole batches built in the worker) gives the batches of a plain DataLoader."""
    from lerobot.datasets.loading import make_dataloader

    ds = _fixture_dataset(reference_fixtures, "multicam_v30", return_uint8=True)
    batches = [[5, 1, 2, 3], [len(ds) - 1, 0, 7, 7], [2, 9]]
    plain = torch.utils.data.DataLoader(ds, batch_sampler=batches, num_workers=0)
    for got, want in zip(make_dataloader(ds, batches, num_workers=1), plain, strict=True):
        _assert_batches_equal(got, want)


def test_get_batch_with_image_transforms_and_bad_input(reference_fixtures):
    ds = _fixture_dataset(
        reference_fixtures, "multicam_v30", windows=False, image_transforms=lambda x: x * 0.5
    )
    batch = [3, 1, 4]
    _assert_batches_equal(ds.get_batch(batch), torch.utils.data.default_collate([ds[i] for i in batch]))
    with pytest.raises(ValueError, match="at least one index"):
        ds.get_batch([])
    with pytest.raises(IndexError, match="out of range"):
        ds.get_batch([0, len(ds)])


@pytest.mark.parametrize("inline_bytes", [1024, None], ids=["buffers", "inline"])
def test_training_dataloader_reuses_buffers_without_overwriting_held_batches(
    reference_fixtures, monkeypatch, inline_bytes
):
    """Camera tensors travel in shared-memory buffers that the worker reuses: a batch still held by the main
    process is never overwritten, and buffers are reused once the batches are dropped. (The fixture's small
    frames travel inside the pickled batch by default; with `INLINE_BYTES` lowered, through the buffers.)"""
    from lerobot.datasets import loading

    if inline_bytes is not None:
        monkeypatch.setattr(loading, "INLINE_BYTES", inline_bytes)

    ds = _fixture_dataset(reference_fixtures, "multicam_v30", return_uint8=True)
    gen = torch.Generator().manual_seed(0)
    batches = [torch.randint(0, len(ds), (4,), generator=gen).tolist() for _ in range(12)]
    want = list(torch.utils.data.DataLoader(ds, batch_sampler=batches, num_workers=0))
    loader = loading.make_dataloader(ds, batches, num_workers=1)
    held = list(loader)  # every batch kept alive: the worker must take a new buffer for each
    for got, expected in zip(held, want, strict=True):
        _assert_batches_equal(got, expected)
    n_buffers = sum(len(slots) for slots in loading._RECEIVED.values())
    assert n_buffers == (len(batches) * len(ds.meta.video_keys) if inline_bytes else 0)
    del held, got
    for _ in range(2):  # later epochs (same persistent worker): one batch at a time, buffers reused
        for got, expected in zip(loader, want, strict=True):
            _assert_batches_equal(got, expected)
    assert sum(len(slots) for slots in loading._RECEIVED.values()) == n_buffers
    del loader, got
    import gc

    gc.collect()
    assert not loading._RECEIVED  # the main process's mappings go with the DataLoader


def test_training_dataloader_without_workers_reuses_dropped_buffers(reference_fixtures):
    from lerobot.datasets import loading

    ds = _fixture_dataset(reference_fixtures, "multicam_v30", return_uint8=True)
    key = ds.meta.video_keys[0]
    gen = torch.Generator().manual_seed(1)
    batches = [torch.randint(0, len(ds), (4,), generator=gen).tolist() for _ in range(6)]
    want = list(torch.utils.data.DataLoader(ds, batch_sampler=batches, num_workers=0))
    loader = loading.make_dataloader(ds, batches, num_workers=0)
    held = list(loader)  # all alive at once: each has memory of its own
    assert len({b[key].data_ptr() for b in held}) == len(batches)
    assert held[0][key].stride()[-3] == 1  # uint8 frames laid out channels-last
    for got, expected in zip(held, want, strict=True):
        _assert_batches_equal(got, expected)
    del held, got
    pointers = set()
    for got, expected in zip(loader, want, strict=True):  # one at a time: dropped buffers come back
        _assert_batches_equal(got, expected)
        pointers.add(got[key].data_ptr())
    assert len(pointers) <= 2
    ds.return_uint8 = False  # float frames come contiguous, as the items' are
    (batch,) = list(loading.make_dataloader(ds, batches[:1], num_workers=0))
    assert batch[key].dtype == torch.float32 and batch[key].is_contiguous()
