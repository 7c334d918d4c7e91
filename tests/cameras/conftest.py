"""A real video file, generated with PyAV, serves as the camera source."""

import av
import numpy as np
import pytest

# Frame i is a solid color: red-ish channel = 20 * i, green = 200, blue = 10 (distinguishes RGB from BGR).


def make_video(path, width=96, height=64, n_frames=12, fps=30):
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "10"}
        for i in range(n_frames):
            img = np.zeros((height, width, 3), dtype=np.uint8)
            img[..., 0], img[..., 1], img[..., 2] = 20 * i, 200, 10
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture(scope="session")
def video_file(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("cam") / "cam.mp4")
