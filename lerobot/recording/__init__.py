"""Recording with robots, as a library: what `lerobot-record`, `lerobot-replay`, `lerobot-teleoperate`,
`lerobot-calibrate`, `lerobot-setup-motors` and `lerobot-find-port` run (and `control_robot.py`, through
`lerobot/legacy/control_robot.py`).

- `session.py`: `record` / `record_session`, a whole recording session into a LeRobotDataset.
- `loop.py`: `record_loop`, the fixed-rate control loop (policy or teleoperator -> robot -> dataset).
- `events.py`: recording events and their keys (`start_keyboard_listener`), spoken prompts.
- `teleoperate.py`, `replay.py`: `teleop_loop` / `teleoperate`, `replay` / `replay_on`.
- `device_setup.py`: `calibrate`, `setup_motors`, `find_port`.
- `configs.py`: the configs these commands parse.
"""

from lerobot.recording.configs import (
    DatasetRecordConfig,
    DatasetReplayConfig,
    RecordConfig,
    ReplayConfig,
    TeleoperateConfig,
)
from lerobot.recording.events import (
    KEY_LABELS,
    RECORDING_KEYS,
    describe_recording_keys,
    log_say,
    new_events,
    recording_keys,
    start_keyboard_listener,
)
from lerobot.recording.loop import policy_action, record_loop
from lerobot.recording.replay import load_episode_actions, replay, replay_on
from lerobot.recording.session import record, record_episodes, record_session
from lerobot.recording.teleoperate import teleop_loop, teleoperate

__all__ = [
    "KEY_LABELS",
    "RECORDING_KEYS",
    "DatasetRecordConfig",
    "DatasetReplayConfig",
    "RecordConfig",
    "ReplayConfig",
    "TeleoperateConfig",
    "describe_recording_keys",
    "load_episode_actions",
    "log_say",
    "new_events",
    "policy_action",
    "record",
    "record_episodes",
    "record_loop",
    "record_session",
    "recording_keys",
    "replay",
    "replay_on",
    "start_keyboard_listener",
    "teleop_loop",
    "teleoperate",
]
