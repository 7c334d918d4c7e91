"""Keyboard teleoperator (`type: keyboard`): the action is the set of keys pressed since the last call.

Backends, chosen at `connect()`: `pynput` (a desktop session: real key-down/key-up events) when it is
installed and a display is present; otherwise the terminal (the controlling tty in raw mode: each typed
character counts as one press, arrow keys as `left`/`right`/`up`/`down`, Esc as `esc`); otherwise
(`backend="none"`, or no tty) only `press()`/`release()` calls, which tests and other programs can make.
"""

from __future__ import annotations

import os
import select
import sys
import threading
from dataclasses import dataclass
from typing import Any

from lerobot.teleoperators.config import TeleoperatorConfig
from lerobot.teleoperators.teleoperator import Teleoperator

ESCAPES = {"\x1b[A": "up", "\x1b[B": "down", "\x1b[C": "right", "\x1b[D": "left"}


@TeleoperatorConfig.register_subclass("keyboard")
@dataclass(kw_only=True)
class KeyboardTeleopConfig(TeleoperatorConfig):
    # "auto" (pynput with a display, else the terminal), "pynput", "terminal" or "none" (press() only).
    backend: str = "auto"

    def __post_init__(self):
        if self.backend not in ("auto", "pynput", "terminal", "none"):
            raise ValueError(
                f"keyboard backend must be auto, pynput, terminal or none; got '{self.backend}'."
            )


class KeyboardTeleop(Teleoperator):
    name = "keyboard"
    config_class = KeyboardTeleopConfig

    def __init__(self, config: KeyboardTeleopConfig):
        super().__init__(config)
        self._held: set[str] = set()  # keys down (pynput)
        self._pressed: list[str] = []  # presses since the last get_action
        self._lock = threading.Lock()
        self._connected = False
        self.backend: str | None = None
        self._listener: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tty_state: Any = None

    @property
    def action_features(self) -> dict[str, Any]:
        return {"pressed_keys": dict}

    @property
    def is_connected(self) -> bool:
        return self._connected

    @property
    def is_calibrated(self) -> bool:
        return True

    def calibrate(self) -> None:
        pass

    def configure(self) -> None:
        pass

    # -- events
    def press(self, key: str) -> None:
        with self._lock:
            self._held.add(key)
            self._pressed.append(key)

    def release(self, key: str) -> None:
        with self._lock:
            self._held.discard(key)

    def get_action(self) -> dict[str, Any]:
        """{key: True} for every key held or pressed since the previous call."""
        if not self._connected:
            raise RuntimeError(f"{self} is not connected: call `connect()` first.")
        with self._lock:
            keys = set(self._held) | set(self._pressed)
            self._pressed.clear()
        return dict.fromkeys(sorted(keys), True)

    # -- backends
    def _choose_backend(self) -> str:
        wanted = self.config.backend
        if wanted in ("pynput", "auto"):
            has_display = bool(
                os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
            ) or sys.platform in (
                "darwin",
                "win32",
            )
            try:
                import pynput  # noqa: F401
            except ImportError:
                if wanted == "pynput":
                    raise ImportError("The pynput keyboard backend needs `pip install pynput`.") from None
                has_display = False
            if has_display:
                return "pynput"
            if wanted == "pynput":
                raise RuntimeError("The pynput keyboard backend needs a display (DISPLAY is not set).")
        if wanted in ("terminal", "auto") and sys.stdin.isatty():
            return "terminal"
        if wanted == "terminal":
            raise RuntimeError("The terminal keyboard backend needs stdin to be a terminal.")
        return "none"

    def connect(self, calibrate: bool = True) -> None:
        if self._connected:
            raise RuntimeError(f"{self} is already connected.")
        self.backend = self._choose_backend()
        if self.backend == "pynput":
            from pynput import keyboard

            def name(key: Any) -> str:
                return key.char if getattr(key, "char", None) else str(key).removeprefix("Key.")

            self._listener = keyboard.Listener(
                on_press=lambda k: self.press(name(k)), on_release=lambda k: self.release(name(k))
            )
            self._listener.start()
        elif self.backend == "terminal":
            import termios
            import tty

            fd = sys.stdin.fileno()
            self._tty_state = termios.tcgetattr(fd)
            tty.setcbreak(fd)
            self._stop.clear()
            self._thread = threading.Thread(target=self._read_terminal, args=(fd,), daemon=True)
            self._thread.start()
        self._connected = True

    def _read_terminal(self, fd: int) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            data = os.read(fd, 16).decode(errors="ignore")
            while data:
                seq = next((s for s in ESCAPES if data.startswith(s)), None)
                if seq:
                    self.press(ESCAPES[seq])
                    data = data[len(seq) :]
                else:
                    self.press("esc" if data[0] == "\x1b" else data[0])
                    data = data[1:]

    def disconnect(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=1)
            self._thread = None
        if self._tty_state is not None:
            import termios

            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._tty_state)
            self._tty_state = None
        self._connected = False


__all__ = ["KeyboardTeleop", "KeyboardTeleopConfig"]
