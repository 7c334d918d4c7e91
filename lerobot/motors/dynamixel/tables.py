"""Dynamixel X-series control tables as data (protocol 2.0).

Each table maps a register name to `(address, size in bytes)`, from the ROBOTIS e-Manual control tables
of XL330 / XL430 / XC430 / XM430 / XM540 (they share the X-series layout). Registers below address 64
(`Torque_Enable`) are EEPROM: writable only while torque is off.
"""

X_SERIES_CONTROL_TABLE: dict[str, tuple[int, int]] = {
    # EEPROM
    "Model_Number": (0, 2),
    "Model_Information": (2, 4),
    "Firmware_Version": (6, 1),
    "ID": (7, 1),
    "Baud_Rate": (8, 1),
    "Return_Delay_Time": (9, 1),
    "Drive_Mode": (10, 1),
    "Operating_Mode": (11, 1),
    "Secondary_ID": (12, 1),
    "Protocol_Type": (13, 1),
    "Homing_Offset": (20, 4),
    "Moving_Threshold": (24, 4),
    "Temperature_Limit": (31, 1),
    "Max_Voltage_Limit": (32, 2),
    "Min_Voltage_Limit": (34, 2),
    "PWM_Limit": (36, 2),
    "Current_Limit": (38, 2),
    "Acceleration_Limit": (40, 4),
    "Velocity_Limit": (44, 4),
    "Max_Position_Limit": (48, 4),
    "Min_Position_Limit": (52, 4),
    "Shutdown": (63, 1),
    # RAM
    "Torque_Enable": (64, 1),
    "LED": (65, 1),
    "Status_Return_Level": (68, 1),
    "Registered_Instruction": (69, 1),
    "Hardware_Error_Status": (70, 1),
    "Velocity_I_Gain": (76, 2),
    "Velocity_P_Gain": (78, 2),
    "Position_D_Gain": (80, 2),
    "Position_I_Gain": (82, 2),
    "Position_P_Gain": (84, 2),
    "Feedforward_2nd_Gain": (88, 2),
    "Feedforward_1st_Gain": (90, 2),
    "Bus_Watchdog": (98, 1),
    "Goal_PWM": (100, 2),
    "Goal_Current": (102, 2),
    "Goal_Velocity": (104, 4),
    "Profile_Acceleration": (108, 4),
    "Profile_Velocity": (112, 4),
    "Goal_Position": (116, 4),
    "Realtime_Tick": (120, 2),
    "Moving": (122, 1),
    "Moving_Status": (123, 1),
    "Present_PWM": (124, 2),
    "Present_Current": (126, 2),
    "Present_Velocity": (128, 4),
    "Present_Position": (132, 4),
    "Velocity_Trajectory": (136, 4),
    "Position_Trajectory": (140, 4),
    "Present_Input_Voltage": (144, 2),
    "Present_Temperature": (146, 1),
}

# Baud_Rate register value -> bits per second.
X_SERIES_BAUDRATE_TABLE: dict[int, int] = {
    0: 9_600,
    1: 57_600,
    2: 115_200,
    3: 1_000_000,
    4: 2_000_000,
    5: 3_000_000,
    6: 4_000_000,
}

MODELS = ("xl330-m077", "xl330-m288", "xl430-w250", "xm430-w350", "xm540-w270", "xc430-w150")
MODEL_CONTROL_TABLE: dict[str, dict[str, tuple[int, int]]] = dict.fromkeys(MODELS, X_SERIES_CONTROL_TABLE)
MODEL_BAUDRATE_TABLE: dict[str, dict[int, int]] = dict.fromkeys(MODELS, X_SERIES_BAUDRATE_TABLE)
MODEL_RESOLUTION: dict[str, int] = dict.fromkeys(MODELS, 4096)
MODEL_NUMBER: dict[str, int] = {
    "xl330-m077": 1190,
    "xl330-m288": 1200,
    "xl430-w250": 1060,
    "xm430-w350": 1020,
    "xm540-w270": 1120,
    "xc430-w150": 1070,
}

# Registers holding signed values in two's complement: name -> size in bytes.
SIGNED_REGISTERS: tuple[str, ...] = (
    "Homing_Offset",
    "Goal_PWM",
    "Goal_Current",
    "Goal_Velocity",
    "Goal_Position",
    "Present_PWM",
    "Present_Current",
    "Present_Velocity",
    "Present_Position",
)

# Operating_Mode values.
OPERATING_MODES: dict[str, int] = {
    "current": 0,
    "velocity": 1,
    "position": 3,
    "extended_position": 4,
    "current_position": 5,
    "pwm": 16,
}

EEPROM_END_ADDRESS = 64
