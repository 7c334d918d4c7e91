"""LeKiwi host: runs on the robot, drives it from the commands of a `lekiwi_client` over ZMQ.

    python -m lerobot.robots.lekiwi.lekiwi_host --robot.id=my_kiwi --robot.port=/dev/ttyACM0

Sockets: PULL bound on `port_zmq_cmd` (5555) receives JSON actions; PUSH bound on `port_zmq_observations`
(5556) sends JSON observations, camera frames as base64 JPEG. Both keep only the latest message. A
watchdog stops the base when no command arrived for `watchdog_timeout_s` (a lost client must not leave
the robot driving).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lerobot.robots.lekiwi.config_lekiwi import LeKiwiConfig, LeKiwiHostConfig
from lerobot.robots.lekiwi.lekiwi import LeKiwi

logger = logging.getLogger(__name__)


def _import_zmq() -> Any:
    try:
        import zmq
    except ImportError as e:
        raise ImportError("LeKiwi's network link needs pyzmq: pip install 'lerobot[lekiwi]'.") from e
    return zmq


def encode_observation(obs: dict[str, Any]) -> str:
    import cv2

    out: dict[str, Any] = {}
    for key, value in obs.items():
        if isinstance(value, np.ndarray) and value.ndim == 3:
            ok, jpg = cv2.imencode(
                ".jpg", cv2.cvtColor(value, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90]
            )
            if not ok:
                raise RuntimeError(f"JPEG encoding of camera '{key}' failed.")
            out[key] = base64.b64encode(jpg.tobytes()).decode("ascii")
        else:
            out[key] = float(value)
    return json.dumps(out)


def _bound_port(socket: Any, zmq: Any) -> int:
    endpoint = socket.getsockopt(zmq.LAST_ENDPOINT).decode()  # e.g. "tcp://127.0.0.1:41237"
    return int(endpoint.rsplit(":", 1)[1])


class LeKiwiHost:
    def __init__(self, robot: LeKiwi, config: LeKiwiHostConfig, bind_ip: str = "*"):
        zmq = _import_zmq()
        self.robot, self.config = robot, config
        self.context = zmq.Context()
        self.cmd = self.context.socket(zmq.PULL)
        self.obs = self.context.socket(zmq.PUSH)
        try:
            self.cmd.setsockopt(zmq.CONFLATE, 1)
            self.cmd.bind(f"tcp://{bind_ip}:{config.port_zmq_cmd}")
            self.obs.setsockopt(zmq.CONFLATE, 1)
            self.obs.bind(f"tcp://{bind_ip}:{config.port_zmq_observations}")
        except BaseException:  # e.g. a port in use: release the other one
            self.close()
            raise
        # The bound ports: a configured port 0 binds a free one (a host in a test or a mock session).
        self.port_zmq_cmd = _bound_port(self.cmd, zmq)
        self.port_zmq_observations = _bound_port(self.obs, zmq)
        self.commands_applied = 0

    def run(self, stop: threading.Event | None = None) -> None:
        zmq = _import_zmq()
        period = 1.0 / self.config.max_loop_freq_hz
        start = last_cmd = time.monotonic()
        base_stopped = True
        while not (stop is not None and stop.is_set()):
            now = time.monotonic()
            if self.config.connection_time_s is not None and now - start > self.config.connection_time_s:
                break
            try:
                message = self.cmd.recv_string(zmq.NOBLOCK)
            except zmq.Again:
                message = None
            if message is not None:
                try:
                    self.robot.send_action(json.loads(message))
                    self.commands_applied += 1
                    last_cmd, base_stopped = now, False
                except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
                    logger.error("Ignoring a bad command from the client: %s", e)
            if not base_stopped and now - last_cmd > self.config.watchdog_timeout_s:
                logger.warning("No command for %.2f s: stopping the base.", now - last_cmd)
                self.robot.stop_base()
                base_stopped = True
            try:
                self.obs.send_string(encode_observation(self.robot.get_observation()), zmq.NOBLOCK)
            except zmq.Again:
                logger.debug("Observation dropped: no client connected.")
            time.sleep(max(0.0, period - (time.monotonic() - now)))

    def close(self) -> None:
        self.cmd.close(linger=0)
        self.obs.close(linger=0)
        self.context.term()


@dataclass
class LeKiwiServerConfig:
    robot: LeKiwiConfig = field(default_factory=LeKiwiConfig)
    host: LeKiwiHostConfig = field(default_factory=LeKiwiHostConfig)


def main(args: list[str] | None = None) -> None:
    from lerobot.configs.parser import parse

    logging.basicConfig(level=logging.INFO)
    cfg = parse(LeKiwiServerConfig, args)
    robot = LeKiwi(cfg.robot)
    with robot:
        host = LeKiwiHost(robot, cfg.host)
        print(
            f"LeKiwi host ready: commands on :{cfg.host.port_zmq_cmd}, observations on :{cfg.host.port_zmq_observations}"
        )
        try:
            host.run()
        except KeyboardInterrupt:
            pass
        finally:
            host.close()


if __name__ == "__main__":
    main()
