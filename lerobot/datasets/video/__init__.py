"""Video of LeRobot datasets, with PyAV.

- `decoding.py`: frames nearest to query timestamps (`decode_video_frames`), batched decoding of many
  samples' frames grouped by file (`decode_frame_requests`), probing (`probe_video`, `get_video_info`).
- `encoding.py`: encoding frames to mp4 (`VideoEncodingConfig`, `encode_video_arrays`), stream-copy
  concatenation and cutting.

The former module paths `lerobot.datasets.video_utils` and `lerobot.datasets.video_encoding` are the same
module objects as `decoding` and `encoding` (so attributes set on one are seen through the other).
"""
