"""Keyboard teleoperator: injected presses, and the terminal backend on a real pseudo-terminal."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

from lerobot.teleoperators import KeyboardTeleopConfig, make_teleoperator_from_config


def test_pressed_keys_are_the_action():
    teleop = make_teleoperator_from_config(KeyboardTeleopConfig(backend="none"))
    with pytest.raises(RuntimeError, match="not connected"):
        teleop.get_action()
    with teleop:
        teleop.press("w")
        teleop.press("a")
        teleop.release("a")
        assert teleop.get_action() == {"a": True, "w": True}  # "a" was pressed since the last call
        assert teleop.get_action() == {"w": True}  # still held
        teleop.release("w")
        assert teleop.get_action() == {}


def test_backend_validation():
    with pytest.raises(ValueError, match="keyboard backend must be"):
        KeyboardTeleopConfig(backend="joystick")


def test_terminal_backend_on_a_pty():
    script = textwrap.dedent(
        """
        import time
        from lerobot.teleoperators import KeyboardTeleopConfig, make_teleoperator_from_config
        teleop = make_teleoperator_from_config(KeyboardTeleopConfig(backend="terminal"))
        teleop.connect()
        print("ready", teleop.backend, flush=True)
        seen = set()
        deadline = time.monotonic() + 10
        while "esc" not in seen and time.monotonic() < deadline:
            seen |= set(teleop.get_action())
            time.sleep(0.01)
        teleop.disconnect()
        print("keys", " ".join(sorted(seen)), flush=True)
        """
    )
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=slave, stdout=subprocess.PIPE, text=True)
    os.close(slave)
    try:
        assert proc.stdout.readline().split() == ["ready", "terminal"]
        os.write(master, b"n\x1b[C")
        time.sleep(0.2)
        os.write(master, b"\x1b")
        line = proc.stdout.readline().split()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert line == ["keys", "esc", "n", "right"]
