"""The v2.1 compatibility layer: what `python lerobot/scripts/control_robot.py` runs, kept apart from the current API."""
