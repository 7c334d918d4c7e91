"""The v2.1 compatibility layer, kept apart from the current API: what `python lerobot/scripts/control_robot.py`
runs (`control_robot.py`) and its robot configs (`--robot.type=so100|koch|...`) built on today's robots and
teleoperators (`devices.py`)."""
