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


def run_on_pty(script: str, writes: list[tuple[bytes, str]]) -> list[str]:
    """Run `script` with a pseudo-terminal as stdin; before each write wait for the line the script prints
    (the prompt in `writes`); returns the other printed lines."""
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=slave, stdout=subprocess.PIPE, text=True)
    os.close(slave)
    lines = []
    try:
        for data, prompt in writes:
            while (line := proc.stdout.readline()) and line.strip() != prompt:
                lines.append(line.rstrip("\n"))
            assert line, f"the script ended before printing {prompt!r}; it printed {lines}"
            os.write(master, data)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return lines + out.splitlines()


def test_terminal_keys_are_taps_shared_by_every_listener_and_the_tty_is_restored():
    script = textwrap.dedent(
        """
        import sys, termios, time
        from lerobot.teleoperators import KeyboardTeleopConfig, make_teleoperator_from_config
        before = termios.tcgetattr(sys.stdin.fileno())
        a, b = (make_teleoperator_from_config(KeyboardTeleopConfig(backend="terminal")) for _ in range(2))
        a.connect(); b.connect()
        def wait_for(teleop, key):
            seen, deadline = set(), time.monotonic() + 10
            while key not in seen and time.monotonic() < deadline:
                seen |= set(teleop.get_action())
                time.sleep(0.01)
            return seen
        print("type", flush=True)
        seen_a, seen_b = wait_for(a, "x"), wait_for(b, "x")
        print("a", *sorted(seen_a)); print("b", *sorted(seen_b))
        print("held after", *sorted(a.get_action()), flush=True)  # taps are not held
        a.disconnect()
        print("again", flush=True)
        print("b2", *sorted(wait_for(b, "y")), flush=True)
        b.disconnect()
        print("restored", termios.tcgetattr(sys.stdin.fileno()) == before)
        """
    )
    out = run_on_pty(script, [(b"w\x1b[Dx", "type"), (b"y", "again")])
    # Both listeners see every key: one terminal reader feeds them all.
    assert out[:5] == ["a left w x", "b left w x", "held after", "b2 y", "restored True"]


def test_recording_keys_leave_out_the_teleoperators_keys():
    from lerobot.robots.lekiwi.config_lekiwi import default_teleop_keys
    from lerobot.scripts.lerobot_record import recording_keys

    assert recording_keys() == {
        "exit_early": ("right", "n"),
        "rerecord_episode": ("left", "r"),
        "stop_recording": ("esc", "q"),
    }
    kiwi = frozenset(default_teleop_keys().values())  # w s a d z x r f q
    assert recording_keys(kiwi) == {
        "exit_early": ("right", "n"),
        "rerecord_episode": ("left",),
        "stop_recording": ("esc",),
    }
    with pytest.raises(ValueError, match=r"recording control\(s\) \['rerecord_episode'\].*teleop_keys"):
        recording_keys(frozenset({"left", "r"}))


def test_lekiwi_leader_declares_its_base_keys():
    from lerobot.teleoperators.lekiwi_leader import LeKiwiLeaderConfig

    teleop = make_teleoperator_from_config(
        LeKiwiLeaderConfig(port="/dev/null", keyboard_backend="none", teleop_keys={"speed_up": "t"})
    )
    assert teleop.keys_in_use == frozenset("wsadzxtfq")


def test_recorder_and_lekiwi_base_share_the_terminal_without_clashing():
    """LeKiwi's base keys (r = speed up, q = quit) go to the base only; ← still re-records and Esc stops."""
    script = textwrap.dedent(
        """
        import time
        from lerobot.robots.lekiwi.config_lekiwi import default_teleop_keys
        from lerobot.scripts.lerobot_record import new_events, start_keyboard_listener
        from lerobot.teleoperators import KeyboardTeleopConfig, make_teleoperator_from_config
        base = make_teleoperator_from_config(KeyboardTeleopConfig(backend="terminal"))
        base.connect()
        events = new_events()
        keyboard, stop = start_keyboard_listener(events, "terminal", frozenset(default_teleop_keys().values()))
        def settle():
            time.sleep(0.3)
            return set(base.get_action())
        print("base keys", flush=True)
        base_seen = settle()
        print("after r q:", *sorted(k for k, v in events.items() if v))
        print("base saw", *sorted(base_seen), flush=True)
        print("left", flush=True)
        settle()
        print("after left:", *sorted(k for k, v in events.items() if v), flush=True)
        events.update(dict.fromkeys(events, False))
        print("esc", flush=True)
        settle()
        print("after esc:", *sorted(k for k, v in events.items() if v), flush=True)
        stop.set(); keyboard.disconnect(); base.disconnect()
        """
    )
    out = run_on_pty(script, [(b"rwq", "base keys"), (b"\x1b[D", "left"), (b"\x1b", "esc")])
    assert out == [
        "after r q:",
        "base saw q r w",
        "after left: exit_early rerecord_episode",
        "after esc: exit_early stop_recording",
    ]
