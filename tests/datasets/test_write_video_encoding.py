"""PyAV encoding, stream-copy concatenation and cutting (lerobot/datasets/video_encoding.py)."""

import av
import numpy as np
import pytest

from lerobot.datasets.video_encoding import (
    StreamingVideoEncoder,
    VideoEncodingConfig,
    can_concatenate,
    concatenate_videos,
    cut_video,
    encode_video_arrays,
    encode_video_frames,
    probe_video_info,
)
from lerobot.datasets.writing.image_writer import write_image
from tests.datasets.factories import make_camera_frame


def _frames(n, shape=(48, 64, 3), seed=0):
    rng = np.random.default_rng(seed)
    return [make_camera_frame(shape, i, seed, rng) for i in range(n)]


def _packets(path):
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        return [(p.pts, bytes(p)) for p in c.demux(stream) if p.size], stream.time_base


@pytest.mark.parametrize("vcodec", ["libsvtav1", "h264", "hevc"])
def test_encode_defaults_and_timestamps(tmp_path, vcodec):
    path = encode_video_arrays(_frames(6), tmp_path / "a.mp4", 15, VideoEncodingConfig(vcodec=vcodec))
    info = probe_video_info(path)
    assert info["video.codec"] == {"libsvtav1": "av1"}.get(vcodec, vcodec)
    assert (info["video.height"], info["video.width"], info["video.fps"], info["video.pix_fmt"]) == (
        48,
        64,
        15,
        "yuv420p",
    )
    with av.open(str(path)) as c:
        times = [float(f.pts * f.time_base) for f in c.decode(video=0)]
    assert times == pytest.approx([i / 15 for i in range(6)])
    if vcodec == "libsvtav1":  # g=2: a keyframe every 2 frames (fast random access)
        with av.open(str(path)) as c:
            keys = [p.is_keyframe for p in c.demux(video=0) if p.size]
        assert keys == [True, False] * 3


def test_concatenate_then_cut_gives_back_the_same_packets(tmp_path):
    config = VideoEncodingConfig()  # AV1
    parts = [encode_video_arrays(_frames(n, seed=n), tmp_path / f"p{n}.mp4", 10, config) for n in (4, 6, 3)]
    spans = concatenate_videos(parts, tmp_path / "all.mp4")
    assert np.ravel(spans) == pytest.approx([0.0, 0.4, 0.4, 1.0, 1.0, 1.3])
    for part, (start, end) in zip(parts, spans, strict=True):
        cut = tmp_path / f"cut_{part.name}"
        cut_video(tmp_path / "all.mp4", cut, start, end)
        assert _packets(cut)[0] == _packets(part)[0]  # stream copy: same bytes, rebased to 0


def test_concatenation_refuses_mismatched_inputs(tmp_path):
    a = encode_video_arrays(_frames(2), tmp_path / "a.mp4", 10, VideoEncodingConfig(vcodec="h264"))
    b = encode_video_arrays(
        _frames(2, (32, 64, 3)), tmp_path / "b.mp4", 10, VideoEncodingConfig(vcodec="h264")
    )
    assert not can_concatenate(a, b)
    with pytest.raises(ValueError, match="encoded with different settings"):
        concatenate_videos([a, b], tmp_path / "ab.mp4")
    with pytest.raises(ValueError, match="at least one input"):
        concatenate_videos([], tmp_path / "none.mp4")


def test_cut_video_errors(tmp_path):
    path = encode_video_arrays(_frames(6), tmp_path / "a.mp4", 10, VideoEncodingConfig())
    with pytest.raises(ValueError, match="not a keyframe"):
        cut_video(path, tmp_path / "x.mp4", 0.1, 0.4)  # g=2: frame 1 is not a keyframe
    with pytest.raises(ValueError, match="No frame"):
        cut_video(path, tmp_path / "y.mp4", 5.0, 6.0)


def test_config_and_size_errors(tmp_path):
    with pytest.raises(ValueError, match="Unsupported video codec 'vp9'"):
        VideoEncodingConfig(vcodec="vp9")
    with pytest.raises(ValueError, match="g \\(GOP size\\)"):
        VideoEncodingConfig(g=0)
    with pytest.raises(ValueError, match="narrower than 32"):
        encode_video_arrays(_frames(2, (32, 24, 3)), tmp_path / "n.mp4", 10, VideoEncodingConfig())
    with pytest.raises(FileNotFoundError, match="frame-"):
        encode_video_frames(tmp_path, tmp_path / "e.mp4", 10)


def test_png_frames_and_streaming_encoder_match(tmp_path):
    frames = _frames(5)
    for i, f in enumerate(frames):
        write_image(f, tmp_path / "imgs" / f"frame-{i:06d}.png")
    config = VideoEncodingConfig(vcodec="h264")
    from_pngs = encode_video_frames(tmp_path / "imgs", tmp_path / "png.mp4", 10, config)
    encoder = StreamingVideoEncoder(tmp_path / "stream.mp4", 10, config)
    for f in frames:
        encoder.put(f)
    assert _packets(encoder.finish())[0] == _packets(from_pngs)[0]
    broken = StreamingVideoEncoder(tmp_path / "broken.mp4", 10, VideoEncodingConfig())
    broken.put(frames[0][:, :20])  # svt-av1 refuses width < 32: the error surfaces in the recording thread
    with pytest.raises(RuntimeError, match="narrower than 32"):
        broken.finish()
