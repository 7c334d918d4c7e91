"""The one error path of every command: console scripts, `lerobot/scripts/*.py`, `python -m lerobot...`.

    @command("lerobot-record")
    def main(args: list[str] | None = None) -> None: ...

What the user sees when a command fails (never a traceback, never a usage dump):

- a user error (misspelled flag, bad value, missing input, existing output folder): one line
  `<prog>: error: <what>, <what was expected>, <how to fix>` on stderr, exit status 2;
- a fault from the world (serial port missing or busy, motor not answering, disk full, Hub unreachable):
  one line naming the device or path and what to check, exit status 1;
- anything else is a bug: one line with the exception type and a pointer to `--debug`, exit status 1.

`--debug` (anywhere on the command line) or `LEROBOT_DEBUG=1` lets the exception through, traceback
included. The decorator only catches at the very top: `with robot:` blocks, `finally: dataset.finalize()`
and the exit handlers of `lerobot.utils.robot_utils` have run (torque off, episodes saved) before the
line is printed. Ctrl-C ends with status 130 and no traceback.

`ArgumentParser` is `argparse.ArgumentParser` with the same one-line errors (plus a did-you-mean for an
unknown option), for the commands that take plain options instead of dataclass configs.
"""

from __future__ import annotations

import argparse
import difflib
import errno
import functools
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

USAGE_STATUS = 2
FAULT_STATUS = 1
DEBUG_FLAG = "--debug"
DEBUG_ENV = "LEROBOT_DEBUG"


class UsageError(ValueError):
    """A command-line mistake (unknown flag, unparsable value); the message names the flag."""


# World faults by errno: what to check.
_ERRNO_HINTS = {
    errno.ENOSPC: "free some space on that disk or write elsewhere",
    errno.EDQUOT: "free some space (disk quota exceeded) or write elsewhere",
    errno.EACCES: "check the permissions of that path (for a serial port: the dialout group)",
    errno.EPERM: "check the permissions of that path",
    errno.EROFS: "the file system is read-only: write elsewhere",
    errno.EBUSY: "another program holds it: close it and retry",
    errno.ENODEV: "the device is gone: check the cable and the port name",
    errno.ENXIO: "the device is gone: check the cable and the port name",
    errno.EIO: "input/output error: check the cable, the device or the disk",
}
# Dataset compatibility errors (lerobot.datasets.backward_compat) say how to convert, and a dataset another
# writer holds (lerobot.datasets.writing.lock) names the holder: user errors too.
_USER_ERROR_NAMES = ("BackwardCompatibilityError", "ForwardCompatibilityError", "DatasetLockedError")


def debug_requested(args: list[str]) -> tuple[bool, list[str]]:
    """(whether --debug / LEROBOT_DEBUG=1 asks for tracebacks, `args` without the --debug flag)."""
    flags = {DEBUG_FLAG, f"{DEBUG_FLAG}=true", f"{DEBUG_FLAG}=1"}
    rest = [a for a in args if a not in flags and a not in (f"{DEBUG_FLAG}=false", f"{DEBUG_FLAG}=0")]
    env = os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")
    return env or any(a in flags for a in args), rest


def one_line(text: str) -> str:
    """Collapse a (possibly multi-line, draccus-quoted) message into one line."""
    return " ".join(str(text).strip().strip('"').split())


def _message(e: BaseException) -> str:
    if isinstance(e, KeyError) and len(e.args) == 1 and isinstance(e.args[0], str):
        return one_line(e.args[0])  # str(KeyError) is the repr of its argument
    text = one_line(str(e))
    return text or type(e).__name__


def classify(e: BaseException) -> tuple[int, str]:
    """(exit status, one-line message) of an exception that ended a command."""
    message = _message(e)
    if isinstance(e, (ConnectionError, TimeoutError)):
        return FAULT_STATUS, message
    if isinstance(e, (FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError)):
        if e.errno is not None and e.filename is not None and "[Errno" in message:
            message = f"{e.filename}: {e.strerror}"
        return USAGE_STATUS, message
    if isinstance(e, OSError):  # disk full, permissions, I/O, Hub HTTP errors, unreadable videos
        hint = _ERRNO_HINTS.get(e.errno) if e.errno is not None else None
        if e.errno is not None and e.filename is not None and "[Errno" in message:
            message = f"{e.filename}: {e.strerror}"
        return FAULT_STATUS, f"{message}; {hint}" if hint else message
    if isinstance(e, (ValueError, KeyError, TypeError, ImportError)) or type(e).__name__ in _USER_ERROR_NAMES:
        return USAGE_STATUS, message
    if isinstance(e, RuntimeError):  # device states, failed uploads: they carry their own explanation
        return FAULT_STATUS, message
    return FAULT_STATUS, (
        f"unexpected {type(e).__name__}: {message} (a bug: rerun with {DEBUG_FLAG} for the traceback and "
        "report it)"
    )


def fail(prog: str, message: str, status: int = USAGE_STATUS) -> NoReturn:
    """Print `<prog>: error: <message>` as one line on stderr and exit with `status`."""
    sys.stdout.flush()
    print(f"{prog}: error: {one_line(message)}", file=sys.stderr, flush=True)
    raise SystemExit(status)


def command(prog: str) -> Callable[[F], F]:
    """Decorate a command's `main(args=None)` so that it fails as the module docstring says.

    The wrapped function receives its arguments as a list (`sys.argv[1:]` when called without), with
    `--debug` removed."""

    def decorate(main: F) -> F:
        @functools.wraps(main)
        def wrapper(args: Sequence[str] | None = None, *rest: Any, **kwargs: Any) -> Any:
            argv = list(sys.argv[1:] if args is None else args)
            debug, argv = debug_requested(argv)
            if debug:
                return main(argv, *rest, **kwargs)
            try:
                return main(argv, *rest, **kwargs)
            except KeyboardInterrupt:
                print(f"{prog}: interrupted", file=sys.stderr, flush=True)
                raise SystemExit(130) from None
            except Exception as e:
                status, message = classify(e)
                fail(prog, message, status)

        return wrapper  # type: ignore[return-value]

    return decorate


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`"; did you mean --x?"` for the candidate closest to `word`, or ""."""
    close = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def unknown_flags_message(unknown: Sequence[str], known: Iterable[str]) -> str:
    """`unknown flag --stepz; did you mean --steps?` for the first unknown flag of `unknown`."""
    known = list(known)
    flags = [a for a in unknown if a.startswith("-")]
    if not flags:
        return f"unexpected argument {unknown[0]!r}: flags look like --name=value (--help lists them)"
    flag = flags[0].split("=", 1)[0]
    more = f" (and {len(flags) - 1} more)" if len(flags) > 1 else ""
    hint = did_you_mean(flag, known)
    return f"unknown flag {flag}{more}{hint or ''}{'' if hint else '; --help lists the flags'}"


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors: `<prog>: error: <message>` (exit 2), a did-you-mean for an
    unknown option, and the usage only with --help."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("allow_abbrev", False)  # `--from` must not silently match `--from-file`
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):  # noqa: D401 (argparse API)
        args = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(debug_requested(args)[1], namespace)

    def error(self, message: str) -> NoReturn:
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            unknown = message[len(prefix) :].split()
            message = unknown_flags_message(unknown, self._option_string_actions)
        fail(self.prog, message, USAGE_STATUS)
