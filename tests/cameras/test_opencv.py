"""OpenCV camera reading a generated mp4 file as a live camera."""

import time

import numpy as np
import pytest

from lerobot.cameras import Camera, Cv2Rotation
from lerobot.cameras.opencv import OpenCVCamera, OpenCVCameraConfig
from lerobot.cameras.utils import find_cameras, make_cameras_from_configs


def test_read_shape_dtype_and_rgb_order(video_file):
    cfg = OpenCVCameraConfig(index_or_path=video_file, fps=30, width=96, height=64, warmup_s=0)
    with OpenCVCamera(cfg) as cam:
        frame = cam.read()
        assert frame.shape == (64, 96, 3) and frame.dtype == np.uint8
        r, g, b = frame[32, 48].astype(int)
        assert abs(g - 200) < 12 and abs(b - 10) < 12 and r < 12  # frame 0: R=0, G=200, B=10
        assert cam.read()[32, 48, 0] > 10  # frame 1 has R=20


def test_bgr_and_rotation(video_file):
    cfg = OpenCVCameraConfig(
        index_or_path=str(video_file), color_mode="bgr", rotation=Cv2Rotation.ROTATE_90, warmup_s=0
    )
    cam = OpenCVCamera(cfg)
    cam.connect()
    try:
        frame = cam.read()
        assert frame.shape == (96, 64, 3)
        assert (cam.height, cam.width, cam.fps) == (96, 64, 30)
        assert abs(int(frame[48, 32, 0]) - 10) < 12  # blue first
    finally:
        cam.disconnect()
    assert not cam.is_connected


def test_file_loops_like_a_live_stream(video_file):
    cfg = OpenCVCameraConfig(index_or_path=video_file, warmup_s=0)
    with OpenCVCamera(cfg) as cam:
        reds = [int(cam.read()[32, 48, 0]) for _ in range(14)]
    assert reds[12] < 12 and reds[11] > 200  # frame 12 is frame 0 again


def test_async_read_returns_new_frames_at_fps(video_file):
    cfg = OpenCVCameraConfig(index_or_path=video_file, fps=30, width=96, height=64, warmup_s=0)
    with OpenCVCamera(cfg) as cam:
        frames = [cam.async_read(timeout_ms=1000) for _ in range(5)]
        assert all(f.shape == (64, 96, 3) for f in frames)
        assert len({int(f[32, 48, 0]) // 10 for f in frames}) >= 3  # successive frames differ


def test_async_read_timeout_is_clear(video_file):
    cfg = OpenCVCameraConfig(index_or_path=video_file, fps=1, warmup_s=0)
    with OpenCVCamera(cfg) as cam:
        cam.async_read(timeout_ms=2000)
        t0 = time.monotonic()
        with pytest.raises(TimeoutError, match=r"OpenCVCamera\(.*cam.mp4\): no new frame within 50 ms"):
            cam.async_read(timeout_ms=50)
        assert time.monotonic() - t0 < 1.0


def test_size_mismatch_and_missing_source(video_file, tmp_path):
    with pytest.raises(RuntimeError, match="requested width=640 but the source delivers 96"):
        OpenCVCamera(OpenCVCameraConfig(index_or_path=video_file, width=640, height=64)).connect()
    with pytest.raises(ConnectionError, match="no such device or video file"):
        OpenCVCamera(OpenCVCameraConfig(index_or_path=tmp_path / "nope.mp4")).connect()
    with pytest.raises(RuntimeError, match="not connected"):
        OpenCVCamera(OpenCVCameraConfig(index_or_path=video_file)).read()


def test_config_validation():
    with pytest.raises(ValueError, match="fps must be positive"):
        OpenCVCameraConfig(index_or_path=0, fps=0)
    with pytest.raises(ValueError, match="fourcc must be 4 characters"):
        OpenCVCameraConfig(index_or_path=0, fourcc="MJPEG")
    assert OpenCVCameraConfig(index_or_path="2").index_or_path == 2


def test_registry_factory_and_find(video_file):
    cams = make_cameras_from_configs({"front": OpenCVCameraConfig(index_or_path=video_file)})
    assert isinstance(cams["front"], OpenCVCamera)
    assert {"opencv", "intelrealsense"} <= set(Camera.registry)
    assert isinstance(find_cameras(), list)


def test_realsense_without_sdk_is_clear():
    pytest.importorskip("lerobot.cameras.realsense")
    try:
        import pyrealsense2  # noqa: F401

        pytest.skip("pyrealsense2 is installed")
    except ImportError:
        pass
    from lerobot.cameras.realsense import RealSenseCamera, RealSenseCameraConfig

    cam = RealSenseCamera(RealSenseCameraConfig(serial_number_or_name="123456"))
    with pytest.raises(ImportError, match=r"lerobot\[realsense\]"):
        cam.connect()
    with pytest.raises(ValueError, match="set all of fps, width and height"):
        RealSenseCameraConfig(serial_number_or_name="1", fps=30)
