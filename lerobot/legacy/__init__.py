"""The v2.1 compatibility layer: `control_robot.py`'s robot configs (`--robot.type=so100|koch|...`) and
what they build on today's robots and teleoperators (`devices.py`)."""
