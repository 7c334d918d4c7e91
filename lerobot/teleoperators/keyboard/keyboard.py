"""Keyboard teleoperator (`type: keyboard`): the action is the set of keys pressed since the last call.

Backends, chosen at `connect()`: `pynput` (a desktop session: real key-down/key-up events) when it is
installed and a display is present; otherwise the terminal (the controlling tty in raw mode: each typed
character counts as one press, arrow keys as `left`/`right`/`up`/`down`, Esc as `esc`); otherwise
(`backend="none"`, or no tty) only `press()`/`release()` calls, which tests and other programs can make.

Several keyboard teleoperators may be connected at once (the recorder's controls and LeKiwi's base keys):
they share one listener per backend and process, which hands every key event to each of them. Two terminal
readers of their own would each get a random share of the typed characters, and the second would save the
tty state already in cbreak mode and "restore" that.
"""

from __future__ import annotations

import os
import select
import sys
import threading
from typing import Any, ClassVar

from lerobot.teleoperators.keyboard.config_keyboard import KeyboardTeleopConfig
from lerobot.teleoperators.teleoperator import Teleoperator

ESCAPES = {"\x1b[A": "up", "\x1b[B": "down", "\x1b[C": "right", "\x1b[D": "left"}


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
        if self.backend != "none":
            _KeySource.subscribe(self.backend, self)
        self._connected = True

    def disconnect(self) -> None:
        if self.backend not in (None, "none"):
            _KeySource.unsubscribe(self.backend, self)
            with self._lock:  # no key-up reaches us from now on: nothing may stay held across a reconnect
                self._held.clear()
                self._pressed.clear()
        self._connected = False


class _KeySource:
    """The process's listener of one backend (pynput or terminal), started by its first subscriber and
    stopped (tty restored) when the last one leaves; each key event goes to every subscriber."""

    _sources: ClassVar[dict[str, _KeySource]] = {}
    _lock = threading.Lock()

    def __init__(self, backend: str):
        self.backend = backend
        self.subscribers: tuple[KeyboardTeleop, ...] = ()  # replaced, never mutated: read without the lock
        self._listener: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tty_state: Any = None

    @classmethod
    def subscribe(cls, backend: str, teleop: KeyboardTeleop) -> None:
        with cls._lock:
            source = cls._sources.get(backend)
            if source is None:
                source = cls(backend)
                source._start()
                cls._sources[backend] = source
            source.subscribers = (*source.subscribers, teleop)

    @classmethod
    def unsubscribe(cls, backend: str, teleop: KeyboardTeleop) -> None:
        with cls._lock:
            source = cls._sources.get(backend)
            if source is None or teleop not in source.subscribers:
                return
            source.subscribers = tuple(t for t in source.subscribers if t is not teleop)
            if not source.subscribers:
                del cls._sources[backend]
                source._close()

    def _press(self, key: str) -> None:
        for teleop in self.subscribers:
            teleop.press(key)

    def _release(self, key: str) -> None:
        for teleop in self.subscribers:
            teleop.release(key)

    def _tap(self, key: str) -> None:
        """A terminal has no key-up: each character is a press and a release, so it counts once in the next
        `get_action` (a held key repeats at the terminal's auto-repeat rate) and never stays held."""
        self._press(key)
        self._release(key)

    def _start(self) -> None:
        if self.backend == "pynput":
            from pynput import keyboard

            def name(key: Any) -> str:
                return key.char if getattr(key, "char", None) else str(key).removeprefix("Key.")

            self._listener = keyboard.Listener(
                on_press=lambda k: self._press(name(k)), on_release=lambda k: self._release(name(k))
            )
            self._listener.start()
        elif self.backend == "terminal":
            import termios
            import tty

            fd = sys.stdin.fileno()
            self._tty_state = termios.tcgetattr(fd)
            tty.setcbreak(fd)
            self._thread = threading.Thread(target=self._read_terminal, args=(fd,), daemon=True)
            self._thread.start()
        else:
            raise ValueError(f"No key listener for backend '{self.backend}'.")

    def _read_terminal(self, fd: int) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            data = os.read(fd, 16).decode(errors="ignore")
            while data:
                seq = next((s for s in ESCAPES if data.startswith(s)), None)
                if seq:
                    self._tap(ESCAPES[seq])
                    data = data[len(seq) :]
                else:
                    self._tap("esc" if data[0] == "\x1b" else data[0])
                    data = data[1:]

    def _close(self) -> None:
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
