"""Recording events and the keys that set them: right arrow / `n` ends the current period, left arrow / `r`
re-records the episode, Esc / `q` stops. Letters that the teleoperator itself reads (LeKiwi's base keys
`r`, `q`) are left out of the controls; the arrows and Esc always work. Also the spoken prompts."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import threading
from typing import Any

logger = logging.getLogger(__name__)


def log_say(text: str, play_sounds: bool) -> None:
    logger.info(text)
    if play_sounds:
        cmd = shutil.which("spd-say") or (shutil.which("say") if sys.platform == "darwin" else None)
        if cmd:
            subprocess.Popen([cmd, text], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def new_events() -> dict[str, bool]:
    return {"exit_early": False, "rerecord_episode": False, "stop_recording": False}


# Recording controls -> keys (arrows and Esc on a desktop; the letters also work in a terminal over SSH).
RECORDING_KEYS: dict[str, tuple[str, ...]] = {
    "exit_early": ("right", "n"),
    "rerecord_episode": ("left", "r"),
    "stop_recording": ("esc", "q"),
}
KEY_LABELS = {"right": "→", "left": "←", "esc": "Esc"}


def recording_keys(teleop_keys: frozenset[str] = frozenset()) -> dict[str, tuple[str, ...]]:
    """The recording controls' keys without those the teleoperator reads (LeKiwi's base uses `r` and `q`):
    one key press must never both drive the robot and end or re-record an episode."""
    keys = {event: tuple(k for k in ks if k not in teleop_keys) for event, ks in RECORDING_KEYS.items()}
    lost = [event for event, ks in keys.items() if not ks]
    if lost:
        raise ValueError(
            f"The teleoperator reads every key of the recording control(s) {lost} "
            f"({[RECORDING_KEYS[e] for e in lost]}); remap its keys (e.g. --teleop.teleop_keys=...)."
        )
    return keys


def describe_recording_keys(keys: dict[str, tuple[str, ...]]) -> str:
    words = {"exit_early": "next", "rerecord_episode": "re-record", "stop_recording": "stop"}
    return ", ".join(
        f"{words[event]}: {' or '.join(KEY_LABELS.get(k, k) for k in ks)}" for event, ks in keys.items()
    )


def start_keyboard_listener(
    events: dict[str, bool], backend: str, teleop_keys: frozenset[str] = frozenset()
) -> tuple[Any, threading.Event]:
    """Map keys to recording events in a background thread; returns (keyboard teleop or None, stop event).
    Keys in `teleop_keys` (read by the teleoperator) are left out of the controls."""
    from lerobot.teleoperators.keyboard import KeyboardTeleop, KeyboardTeleopConfig

    stop = threading.Event()
    if backend == "none":
        return None, stop
    keys = recording_keys(teleop_keys)
    keyboard = KeyboardTeleop(KeyboardTeleopConfig(backend=backend))
    keyboard.connect()
    if keyboard.backend == "none":
        logger.warning(
            "No keyboard available (no display, stdin is not a terminal): recording controls are off."
        )
    else:
        taken = sorted(teleop_keys & {k for ks in RECORDING_KEYS.values() for k in ks})
        logger.info(
            "Recording keys: %s%s.",
            describe_recording_keys(keys),
            f" ({', '.join(taken)} drive the teleoperator)" if taken else "",
        )

    def poll() -> None:
        while not stop.wait(0.02):
            pressed = keyboard.get_action().keys()
            if pressed & set(keys["exit_early"]):
                events["exit_early"] = True
            if pressed & set(keys["rerecord_episode"]):
                events["rerecord_episode"] = events["exit_early"] = True
            if pressed & set(keys["stop_recording"]):
                events["stop_recording"] = events["exit_early"] = True

    threading.Thread(target=poll, daemon=True).start()
    return keyboard, stop
