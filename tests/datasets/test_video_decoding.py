"""Video decoding (lerobot.datasets.video_utils): exact frames vs the reference, errors, caching, fork safety."""

import json
import multiprocessing
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from lerobot.datasets import video_utils
from lerobot.datasets.video_utils import (
    FrameTimestampError,
    VideoReadError,
    clear_video_reader_cache,
    decode_video_frames,
    get_video_info,
    probe_video,
)

FPS = 10
NUM_FRAMES = 24


def _frame_image(i: int, h: int = 64, w: int = 64) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([(xx * 4 + i * 9) % 256, (yy * 4) % 256, np.full_like(xx, (i * 10) % 256)], axis=-1)
    return img.astype(np.uint8)


def _write_video(path: Path, codec: str = "libsvtav1", g: int = 2, num_frames: int = NUM_FRAMES) -> None:
    options = {"g": str(g), "crf": "30"} if codec == "libsvtav1" else {"g": str(g)}
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=FPS, options=options)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(num_frames):
            frame = av.VideoFrame.from_ndarray(_frame_image(i), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@pytest.fixture(scope="module", params=["libsvtav1", "libx264"])
def video(request, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("videos") / f"{request.param}.mp4"
    _write_video(path, codec=request.param, g=2 if request.param == "libsvtav1" else 5)
    return path


def _all_frames(path: Path) -> tuple[list[float], list[np.ndarray]]:
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
        return [float(f.time) for f in frames], [f.to_ndarray(format="rgb24") for f in frames]


# --- against the reference fixtures ---------------------------------------------------------------


def _video_cases(fixtures: Path, name: str):
    """Yield (video_path, video_key, query timestamps, expected (T,C,H,W) or (C,H,W) tensor)."""
    expected_json = json.loads((fixtures / "datasets" / "expected" / f"{name}_items.json").read_text())
    tensors = load_file(fixtures / "datasets" / "expected" / f"{name}_items.safetensors")
    root = fixtures / "datasets" / name
    info = json.loads((root / "meta" / "info.json").read_text())
    fps = expected_json["fps"]
    episodes = {row["episode_index"]: row for row in expected_json["episodes_table"]}
    for idx in expected_json["indices"]:
        ep = int(tensors[f"idx{idx}/episode_index"])
        frame_index = int(tensors[f"idx{idx}/frame_index"])
        row = episodes[ep]
        for key in expected_json["video_keys"]:
            if info["codebase_version"] == "v3.0":
                chunk, file = row[f"videos/{key}/chunk_index"], row[f"videos/{key}/file_index"]
                path = root / info["video_path"].format(video_key=key, chunk_index=chunk, file_index=file)
                offset = row[f"videos/{key}/from_timestamp"]
            else:
                chunk = ep // info["chunks_size"]
                path = root / info["video_path"].format(video_key=key, episode_chunk=chunk, episode_index=ep)
                offset = 0.0
            timestamp = float(tensors[f"idx{idx}/timestamp"])
            yield path, key, [offset + timestamp], tensors[f"idx{idx}/{key}"][None]
            # Time window: rows clamped to the episode, their timestamps used as queries (docs/dataset_format.md).
            deltas = expected_json["delta_timestamps"][key]
            rows = np.clip(frame_index + np.round(np.array(deltas) * fps).astype(int), 0, row["length"] - 1)
            queries = [offset + float(np.float32(r / fps)) for r in rows]
            yield path, key, queries, tensors[f"delta/idx{idx}/{key}"]


@pytest.mark.parametrize("name", ["pusht_v21", "pusht_v30", "multicam_v30"])
def test_decoded_frames_match_reference_bytes(reference_fixtures, name):
    clear_video_reader_cache()
    n = 0
    for path, key, queries, expected in _video_cases(reference_fixtures, name):
        frames = decode_video_frames(path, queries, tolerance_s=1e-4, video_key=key)
        assert frames.shape == expected.shape and frames.dtype == torch.float32
        assert torch.equal(frames, expected), f"{name} {key} {queries}"
        assert torch.equal(
            decode_video_frames(path, queries, 1e-4, return_uint8=True).float() / 255, expected
        )
        n += 1
    assert n >= 20


def test_video_info_of_reference_video(reference_fixtures):
    path = reference_fixtures / "datasets/pusht_v30/videos/observation.image/chunk-000/file-000.mp4"
    info = json.loads((reference_fixtures / "datasets/pusht_v30/meta/info.json").read_text())
    assert get_video_info(path) == info["features"]["observation.image"]["info"]
    probed = probe_video(path)
    assert probed.num_frames == info["total_frames"] and probed.duration_s == pytest.approx(44.8)


# --- generated videos ------------------------------------------------------------------------------


@pytest.mark.parametrize("kept_bytes", [video_utils.MAX_KEPT_BYTES, 1])  # 1 -> only 2 frames kept
def test_random_and_sequential_access_match_full_decode(video, kept_bytes, monkeypatch):
    monkeypatch.setattr(video_utils, "MAX_KEPT_BYTES", kept_bytes)
    clear_video_reader_cache()
    times, images = _all_frames(video)
    assert times == pytest.approx([i / FPS for i in range(NUM_FRAMES)])
    rng = np.random.default_rng(0)
    # Random windows (seek each time), then sequential windows (decoder continues), then backwards.
    starts = list(rng.integers(0, NUM_FRAMES - 3, 15)) + list(range(NUM_FRAMES - 3)) + [20, 3, 0]
    for s in starts:
        window = [s, s + 1, s + 3, s + 3]  # repeated and skipped frames too
        out = decode_video_frames(video, [times[i] for i in window], 1e-4, return_uint8=True)
        expected = torch.from_numpy(np.stack([images[i] for i in window])).permute(0, 3, 1, 2)
        assert torch.equal(out, expected), window


def test_float_output_is_exactly_uint8_over_255(video):
    as_uint8 = decode_video_frames(video, [0.3, 0.4], 1e-4, return_uint8=True)
    as_float = decode_video_frames(video, [0.3, 0.4], 1e-4)
    assert as_uint8.dtype == torch.uint8 and as_float.dtype == torch.float32
    assert as_float.shape == (2, 3, 64, 64) and as_float.is_contiguous()
    assert torch.equal(as_float, as_uint8.to(torch.float32) / 255)


def test_nearest_frame_within_tolerance(video):
    exact = decode_video_frames(video, [0.5], 1e-4, return_uint8=True)
    assert torch.equal(decode_video_frames(video, [0.5 + 0.04], 0.05, return_uint8=True), exact)
    assert torch.equal(decode_video_frames(video, [0.5 - 0.04], 0.05, return_uint8=True), exact)


@pytest.mark.parametrize("queries", [[0.55], [0.0, 0.1, 5.0], [-0.2]])
def test_tolerance_violation_names_file_key_and_timestamps(video, queries):
    with pytest.raises(FrameTimestampError) as excinfo:
        decode_video_frames(video, queries, 1e-4, video_key="observation.images.cam")
    message = str(excinfo.value)
    assert str(video) in message and "observation.images.cam" in message
    bad = [q for q in queries if not any(abs(q - i / FPS) < 1e-4 for i in range(NUM_FRAMES))]
    assert str(bad) in message
    assert isinstance(excinfo.value, ValueError)


def test_missing_video_names_the_file(tmp_path):
    path = tmp_path / "videos" / "missing.mp4"
    with pytest.raises(FileNotFoundError, match="missing.mp4"):
        decode_video_frames(path, [0.0], 1e-4)


@pytest.mark.parametrize("content", [b"", b"not an mp4 at all" * 100])
def test_garbage_video_names_the_file(tmp_path, content):
    path = tmp_path / "garbage.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoReadError, match="garbage.mp4"):
        decode_video_frames(path, [0.0], 1e-4, video_key="cam")
    with pytest.raises(VideoReadError, match="garbage.mp4"):
        get_video_info(path)


def test_truncated_video_gives_clear_error(video, tmp_path):
    path = tmp_path / "truncated.mp4"
    data = video.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises((VideoReadError, FrameTimestampError), match="truncated.mp4"):
        for t in range(NUM_FRAMES):
            decode_video_frames(path, [t / FPS], 1e-4)


@pytest.mark.parametrize("backend", ["torchcodec", "video_reader", "opencv"])
def test_unsupported_backend(video, backend):
    with pytest.raises(ValueError, match=backend):
        decode_video_frames(video, [0.0], 1e-4, backend=backend)
    assert decode_video_frames(video, [0.0], 1e-4, backend="pyav").shape == (1, 3, 64, 64)


def test_empty_query_list(video):
    with pytest.raises(ValueError, match="at least one timestamp"):
        decode_video_frames(video, [], 1e-4)


def test_reader_cache_is_bounded(video, tmp_path, monkeypatch):
    monkeypatch.setattr(video_utils._READERS, "max_size", 3)
    clear_video_reader_cache()
    copies = []
    for i in range(5):
        copies.append(tmp_path / f"copy{i}.mp4")
        copies[-1].write_bytes(video.read_bytes())
        decode_video_frames(copies[-1], [0.1], 1e-4)
    assert list(video_utils._READERS.readers) == [str(p) for p in copies[-3:]]
    clear_video_reader_cache()
    assert not video_utils._READERS.readers


def test_replaced_file_at_same_path_is_reopened(tmp_path):
    """A writer replaces a shared mp4 in place (new episode appended): a cached reader must not keep
    serving the old file, without anyone calling clear_video_reader_cache()."""
    path = tmp_path / "shared.mp4"
    _write_video(path, codec="libx264", g=5, num_frames=10)
    first = decode_video_frames(path, [0.1], 1e-4, return_uint8=True)
    replacement = tmp_path / "new.mp4"
    _write_video(replacement, codec="libx264", g=5, num_frames=NUM_FRAMES)
    replacement.replace(path)
    last_t = (NUM_FRAMES - 1) / FPS
    assert last_t > 9 / FPS  # only in the new, longer file
    frames = decode_video_frames(path, [0.1, last_t], 1e-4, return_uint8=True)
    torch.testing.assert_close(frames[0], first[0])
    expected = torch.from_numpy(_all_frames(path)[1][-1]).permute(2, 0, 1)
    torch.testing.assert_close(frames[1], expected)


def _decode_in_child(args):
    path, timestamps = args
    return decode_video_frames(Path(path), timestamps, 1e-4, return_uint8=True).numpy()


def test_forked_workers_get_their_own_decoders(video):
    # The parent opens (and positions) a decoder first; forked children must still decode correctly.
    parent = decode_video_frames(video, [0.7, 0.8], 1e-4, return_uint8=True).numpy()
    ctx = multiprocessing.get_context("fork")
    jobs = [(str(video), [t / FPS, (t + 1) / FPS]) for t in range(0, NUM_FRAMES - 1, 2)]
    with ctx.Pool(2) as pool:
        results = pool.map(_decode_in_child, jobs)
    _, images = _all_frames(video)
    for (_, ts), result in zip(jobs, results, strict=True):
        expected = np.stack([images[round(t * FPS)] for t in ts]).transpose(0, 3, 1, 2)
        assert np.array_equal(result, expected)
    assert np.array_equal(decode_video_frames(video, [0.7, 0.8], 1e-4, return_uint8=True).numpy(), parent)


def test_dataloader_workers_decode(video):
    class Frames(torch.utils.data.Dataset):
        def __len__(self):
            return NUM_FRAMES - 1

        def __getitem__(self, i):
            return decode_video_frames(video, [i / FPS, (i + 1) / FPS], 1e-4, return_uint8=True)

    decode_video_frames(video, [0.0], 1e-4)  # parent holds an open reader before the fork
    loader = torch.utils.data.DataLoader(
        Frames(), batch_size=4, shuffle=True, num_workers=2, multiprocessing_context="fork"
    )
    batches = torch.cat(list(loader))
    assert batches.shape == (NUM_FRAMES - 1, 2, 3, 64, 64)
    _, images = _all_frames(video)
    firsts = {torch.from_numpy(images[i]).permute(2, 0, 1).numpy().tobytes() for i in range(NUM_FRAMES - 1)}
    assert {b[0].numpy().tobytes() for b in batches} == firsts
