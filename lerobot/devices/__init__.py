"""The device base shared by robots and teleoperators (`lerobot/robots`, `lerobot/teleoperators`).

- `device.py`: `CalibratedDevice` (identity, calibration files, prompts, context manager) and the
  calibration file format;
- `arm.py`: `MotorArmMixin`, the connect / calibrate / disconnect flow of a serial-bus arm;
- `multi_arm.py`: composition of several arms with features prefixed by arm (`left_waist.pos`);
- `motor_tables.py`: the motor tables of the arm families whose followers and leaders share joints
  (SO-100, Koch, ALOHA's ViperX/WidowX);
- `lekiwi_keys.py`: LeKiwi's base keys and their velocities (used by its client and its leader).

Robots and teleoperators import from here, never from each other (tests/test_layout_devices.py).
"""
