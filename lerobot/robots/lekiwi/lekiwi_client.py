"""LeKiwi client: a `Robot` on your laptop that forwards actions to `lekiwi_host` and reads its observations.

Torque safety stays on the robot (the host disconnects on exit and stops the base when commands stop).
`from_keyboard_to_base_action(pressed_keys)` turns `keyboard` teleoperator keys into base velocities
(three speed levels, `r`/`f` to change).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np

from lerobot.devices.lekiwi_keys import keys_to_base_action
from lerobot.robots.lekiwi.config_lekiwi import LeKiwiClientConfig
from lerobot.robots.lekiwi.lekiwi import motor_features
from lerobot.robots.lekiwi.lekiwi_host import _import_zmq
from lerobot.robots.robot import Robot


class LeKiwiClient(Robot):
    name = "lekiwi_client"
    config_class = LeKiwiClientConfig

    def __init__(self, config: LeKiwiClientConfig):
        super().__init__(config)
        self.config: LeKiwiClientConfig = config
        self.context: Any = None
        self.cmd: Any = None
        self.obs: Any = None
        self.last_observation: dict[str, Any] = {}
        self.speed_index = 0

    @property
    def observation_features(self) -> dict[str, Any]:
        ft: dict[str, Any] = motor_features()
        ft.update({name: tuple(shape) for name, shape in self.config.camera_shapes.items()})
        return ft

    @property
    def action_features(self) -> dict[str, Any]:
        return motor_features()

    @property
    def is_connected(self) -> bool:
        return self.cmd is not None

    @property
    def is_calibrated(self) -> bool:
        return True  # calibration lives on the robot (run lerobot-calibrate there)

    def calibrate(self) -> None:
        pass

    def configure(self) -> None:
        pass

    def connect(self, calibrate: bool = True) -> None:
        if self.is_connected:
            raise RuntimeError(f"{self} is already connected.")
        zmq = _import_zmq()
        self.context = zmq.Context()
        self.cmd = self.context.socket(zmq.PUSH)
        self.cmd.setsockopt(zmq.CONFLATE, 1)
        self.cmd.connect(f"tcp://{self.config.remote_ip}:{self.config.port_zmq_cmd}")
        self.obs = self.context.socket(zmq.PULL)
        self.obs.setsockopt(zmq.CONFLATE, 1)
        self.obs.connect(f"tcp://{self.config.remote_ip}:{self.config.port_zmq_observations}")
        if not self.obs.poll(int(self.config.connect_timeout_s * 1000)):
            self.disconnect()
            raise ConnectionError(
                f"No observation from a LeKiwi host at {self.config.remote_ip} (ports {self.config.port_zmq_cmd}/"
                f"{self.config.port_zmq_observations}) within {self.config.connect_timeout_s} s. Is "
                "`python -m lerobot.robots.lekiwi.lekiwi_host` running on the robot?"
            )

    def _decode(self, message: str) -> dict[str, Any]:
        import cv2

        obs: dict[str, Any] = {}
        for key, value in json.loads(message).items():
            if isinstance(value, str):
                jpg = np.frombuffer(base64.b64decode(value), dtype=np.uint8)
                obs[key] = cv2.cvtColor(cv2.imdecode(jpg, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            else:
                obs[key] = float(value)
        return obs

    def get_observation(self) -> dict[str, Any]:
        """Latest observation from the host (the previous one if none arrived within the polling timeout)."""
        if not self.is_connected:
            raise RuntimeError(f"{self} is not connected: call `connect()` first.")
        if self.obs.poll(self.config.polling_timeout_ms):
            self.last_observation = self._decode(self.obs.recv_string())
        if not self.last_observation:
            raise TimeoutError(f"{self}: no observation received from {self.config.remote_ip} yet.")
        return dict(self.last_observation)

    def from_keyboard_to_base_action(self, pressed_keys: dict[str, Any]) -> dict[str, float]:
        action, self.speed_index = keys_to_base_action(
            pressed_keys, self.config.teleop_keys, self.speed_index
        )
        return action

    def send_action(self, action: dict[str, Any]) -> dict[str, Any]:
        self._check_action(action)
        sent = {k: float(v) for k, v in action.items()}
        self.cmd.send_string(json.dumps(sent))
        return sent

    def disconnect(self) -> None:
        for sock in (self.cmd, self.obs):
            if sock is not None:
                sock.close(linger=0)
        if self.context is not None:
            self.context.term()
        self.cmd = self.obs = self.context = None
