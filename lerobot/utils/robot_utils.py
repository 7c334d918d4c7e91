"""Safety helpers shared by robots and teleoperators.

- `ensure_safe_goal_position`: clamp every commanded joint to `present ± max_relative_target`.
- `track_connected` / `untrack`: every connected device is disconnected (torque off) on every exit path:
  normal exit and uncaught exceptions (atexit), Ctrl-C (KeyboardInterrupt unwinds `with` blocks, then
  atexit), and SIGTERM (turned into `SystemExit` so the same clean-up runs).
"""

from __future__ import annotations

import atexit
import logging
import signal
import threading
import weakref
from typing import Any

try:
    from termios import error as _TermiosError
except ImportError:  # not POSIX
    _TermiosError = OSError

logger = logging.getLogger(__name__)

_connected: weakref.WeakSet = weakref.WeakSet()
_installed = False
_install_lock = threading.Lock()


def ensure_safe_goal_position(
    goal_present_pos: dict[str, tuple[float, float]], max_relative_target: float | dict[str, float]
) -> dict[str, float]:
    """Clamp each goal so that |goal - present| <= max_relative_target (a float, or a per-key dict in which
    keys that are absent are not limited)."""
    safe = {}
    for key, (goal, present) in goal_present_pos.items():
        if isinstance(max_relative_target, dict) and key not in max_relative_target:
            safe[key] = goal
            continue
        limit = max_relative_target[key] if isinstance(max_relative_target, dict) else max_relative_target
        diff = goal - present
        clamped = min(max(diff, -limit), limit)
        if clamped != diff:
            logger.warning(
                "Relative goal position of '%s' clamped to max_relative_target=%s: wanted %+.3f, sent %+.3f.",
                key,
                limit,
                diff,
                clamped,
            )
        safe[key] = present + clamped
    return safe


def _disconnect_all() -> None:
    for device in list(_connected):
        try:
            if device.is_connected:
                device.disconnect()
        except (OSError, RuntimeError, _TermiosError) as e:  # best effort at exit: report, don't mask others
            logger.error("Could not disconnect %s at exit: %s", device, e)


def _on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        atexit.register(_disconnect_all)
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) in (
            signal.SIG_DFL,
            None,
        ):
            signal.signal(signal.SIGTERM, _on_sigterm)
        _installed = True


def track_connected(device: Any) -> None:
    """Disconnect `device` at exit if it is still connected (see module docstring)."""
    _install()
    _connected.add(device)


def untrack(device: Any) -> None:
    _connected.discard(device)
