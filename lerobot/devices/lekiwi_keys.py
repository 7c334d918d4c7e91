"""LeKiwi's base driven by keyboard keys: the default key map and keys -> base velocities.

Used by the `lekiwi_client` robot (`from_keyboard_to_base_action`) and the `lekiwi_leader` teleoperator.
Three speed levels (`speed_up` / `speed_down` keys change them).
"""

from __future__ import annotations

from typing import Any

SPEED_LEVELS = ({"xy": 0.1, "theta": 30.0}, {"xy": 0.2, "theta": 60.0}, {"xy": 0.3, "theta": 90.0})


def default_teleop_keys() -> dict[str, str]:
    """Keys driving the base: used by `lekiwi_client` and the `lekiwi_leader` teleoperator."""
    return {
        "forward": "w",
        "backward": "s",
        "left": "a",
        "right": "d",
        "rotate_left": "z",
        "rotate_right": "x",
        "speed_up": "r",
        "speed_down": "f",
        "quit": "q",
    }


def keys_to_base_action(
    pressed_keys: dict[str, Any], teleop_keys: dict[str, str], speed_index: int
) -> tuple[dict[str, float], int]:
    """Pressed keyboard keys -> (base velocities `x.vel`, `y.vel`, `theta.vel`, new speed level index)."""
    keys = teleop_keys
    if keys["speed_up"] in pressed_keys:
        speed_index = min(speed_index + 1, len(SPEED_LEVELS) - 1)
    if keys["speed_down"] in pressed_keys:
        speed_index = max(speed_index - 1, 0)
    speed = SPEED_LEVELS[speed_index]
    x = speed["xy"] * ((keys["forward"] in pressed_keys) - (keys["backward"] in pressed_keys))
    y = speed["xy"] * ((keys["left"] in pressed_keys) - (keys["right"] in pressed_keys))
    theta = speed["theta"] * ((keys["rotate_left"] in pressed_keys) - (keys["rotate_right"] in pressed_keys))
    return {"x.vel": float(x), "y.vel": float(y), "theta.vel": float(theta)}, speed_index
