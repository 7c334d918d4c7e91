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


class LoopTimer:
    """Paces a control loop at `fps` and measures it: tick work time p50/p99 and the share of late ticks.

    Usage: `timer.start_tick()`, do the work, `timer.end_tick()` (sleeps until the next tick). A tick is
    late when its work overran the period; `warn_if_slow()` logs when the loop cannot hold its rate.
    """

    def __init__(self, fps: float | None):
        if fps is not None and fps <= 0:
            raise ValueError(f"fps must be positive (or None for as fast as possible), got {fps}.")
        self.fps = fps
        self.period = 1.0 / fps if fps else 0.0
        self.work_s: list[float] = []
        self.late = 0
        self._t0 = 0.0
        self._next: float | None = None
        self._start: float | None = None

    def start_tick(self) -> None:
        import time

        self._t0 = time.perf_counter()
        if self._next is None:
            self._next = self._start = self._t0

    def end_tick(self) -> None:
        import time

        now = time.perf_counter()
        self.work_s.append(now - self._t0)
        if not self.period:
            return
        self._next += self.period
        delay = self._next - now
        if delay > 0:
            time.sleep(delay)
        else:
            self.late += 1
            self._next = now  # do not try to catch up with a burst of ticks

    @property
    def elapsed_s(self) -> float:
        import time

        return 0.0 if self._start is None else time.perf_counter() - self._start

    def stats(self) -> dict[str, float]:
        import statistics

        n = len(self.work_s)
        if n == 0:
            return {"ticks": 0}
        ordered = sorted(self.work_s)
        return {
            "ticks": n,
            "work_p50_ms": 1000 * statistics.median(ordered),
            "work_p99_ms": 1000 * ordered[min(n - 1, int(0.99 * n))],
            "late_share": self.late / n,
            "achieved_fps": n / self.elapsed_s if self.elapsed_s > 0 else float("inf"),
        }

    def warn_if_slow(self, threshold: float = 0.1) -> bool:
        s = self.stats()
        if self.fps and s["ticks"] and s["late_share"] > threshold:
            logger.warning(
                "The control loop cannot hold %s fps: %.0f%% of the ticks were late (work p99 %.1f ms for a "
                "%.1f ms period; achieved %.1f fps). Lower --fps, the camera resolution or the number of cameras.",
                self.fps,
                100 * s["late_share"],
                s["work_p99_ms"],
                1000 * self.period,
                s["achieved_fps"],
            )
            return True
        return False
