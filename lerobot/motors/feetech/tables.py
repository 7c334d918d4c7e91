"""Feetech control tables as data (STS/SMS series on protocol 0, SCS series on protocol 1).

Each table maps a register name to `(address, size in bytes)`. Addresses follow the Feetech memory
tables of the STS3215 / SCS0009 data sheets. EEPROM registers (address < 40) persist across power
cycles and are only writable while torque is off and `Lock` is 0.
"""

STS_SMS_SERIES_CONTROL_TABLE: dict[str, tuple[int, int]] = {
    # EEPROM
    "Firmware_Major_Version": (0, 1),
    "Firmware_Minor_Version": (1, 1),
    "Model_Number": (3, 2),
    "ID": (5, 1),
    "Baud_Rate": (6, 1),
    "Return_Delay_Time": (7, 1),
    "Response_Status_Level": (8, 1),
    "Min_Position_Limit": (9, 2),
    "Max_Position_Limit": (11, 2),
    "Max_Temperature_Limit": (13, 1),
    "Max_Voltage_Limit": (14, 1),
    "Min_Voltage_Limit": (15, 1),
    "Max_Torque_Limit": (16, 2),
    "Phase": (18, 1),
    "Unloading_Condition": (19, 1),
    "LED_Alarm_Condition": (20, 1),
    "P_Coefficient": (21, 1),
    "D_Coefficient": (22, 1),
    "I_Coefficient": (23, 1),
    "Minimum_Startup_Force": (24, 2),
    "CW_Dead_Zone": (26, 1),
    "CCW_Dead_Zone": (27, 1),
    "Protection_Current": (28, 2),
    "Angular_Resolution": (30, 1),
    "Homing_Offset": (31, 2),
    "Operating_Mode": (33, 1),
    "Protective_Torque": (34, 1),
    "Protection_Time": (35, 1),
    "Overload_Torque": (36, 1),
    "Velocity_closed_loop_P_proportional_coefficient": (37, 1),
    "Over_Current_Protection_Time": (38, 1),
    "Velocity_closed_loop_I_integral_coefficient": (39, 1),
    # SRAM
    "Torque_Enable": (40, 1),
    "Acceleration": (41, 1),
    "Goal_Position": (42, 2),
    "Goal_Time": (44, 2),
    "Goal_Velocity": (46, 2),
    "Torque_Limit": (48, 2),
    "Lock": (55, 1),
    "Present_Position": (56, 2),
    "Present_Velocity": (58, 2),
    "Present_Load": (60, 2),
    "Present_Voltage": (62, 1),
    "Present_Temperature": (63, 1),
    "Status": (65, 1),
    "Moving": (66, 1),
    "Present_Current": (69, 2),
    "Maximum_Acceleration": (85, 2),
}

SCS_SERIES_CONTROL_TABLE: dict[str, tuple[int, int]] = {
    "Model_Number": (3, 2),
    "ID": (5, 1),
    "Baud_Rate": (6, 1),
    "Return_Delay_Time": (7, 1),
    "Response_Status_Level": (8, 1),
    "Min_Position_Limit": (9, 2),
    "Max_Position_Limit": (11, 2),
    "Max_Temperature_Limit": (13, 1),
    "Max_Voltage_Limit": (14, 1),
    "Min_Voltage_Limit": (15, 1),
    "Max_Torque_Limit": (16, 2),
    "Phase": (18, 1),
    "P_Coefficient": (21, 1),
    "D_Coefficient": (22, 1),
    "I_Coefficient": (23, 1),
    "Torque_Enable": (40, 1),
    "Acceleration": (41, 1),
    "Goal_Position": (42, 2),
    "Goal_Time": (44, 2),
    "Goal_Velocity": (46, 2),
    "Lock": (48, 1),
    "Present_Position": (56, 2),
    "Present_Velocity": (58, 2),
    "Present_Load": (60, 2),
    "Present_Voltage": (62, 1),
    "Present_Temperature": (63, 1),
    "Moving": (66, 1),
}

# Baud_Rate register value -> bits per second.
STS_SMS_SERIES_BAUDRATE_TABLE: dict[int, int] = {
    0: 1_000_000,
    1: 500_000,
    2: 250_000,
    3: 128_000,
    4: 115_200,
    5: 57_600,
    6: 38_400,
    7: 19_200,
}
SCS_SERIES_BAUDRATE_TABLE = STS_SMS_SERIES_BAUDRATE_TABLE

MODEL_CONTROL_TABLE: dict[str, dict[str, tuple[int, int]]] = {
    "sts3215": STS_SMS_SERIES_CONTROL_TABLE,
    "sts3250": STS_SMS_SERIES_CONTROL_TABLE,
    "sm8512bl": STS_SMS_SERIES_CONTROL_TABLE,
    "scs0009": SCS_SERIES_CONTROL_TABLE,
}
MODEL_BAUDRATE_TABLE: dict[str, dict[int, int]] = {
    "sts3215": STS_SMS_SERIES_BAUDRATE_TABLE,
    "sts3250": STS_SMS_SERIES_BAUDRATE_TABLE,
    "sm8512bl": STS_SMS_SERIES_BAUDRATE_TABLE,
    "scs0009": SCS_SERIES_BAUDRATE_TABLE,
}
# Encoder ticks per turn.
MODEL_RESOLUTION: dict[str, int] = {"sts3215": 4096, "sts3250": 4096, "sm8512bl": 4096, "scs0009": 1024}
# Value of the Model_Number register.
MODEL_NUMBER: dict[str, int] = {"sts3215": 777, "sts3250": 2825, "sm8512bl": 11272, "scs0009": 1284}
# Protocol "end" of the SDK: 0 = little endian (STS/SMS), 1 = big endian (SCS).
MODEL_PROTOCOL: dict[str, int] = {"sts3215": 0, "sts3250": 0, "sm8512bl": 0, "scs0009": 1}

# Registers holding signed values in sign-magnitude form: name -> index of the sign bit.
MODEL_ENCODING_TABLE: dict[str, dict[str, int]] = {
    model: {
        "Homing_Offset": 11,
        "Goal_Velocity": 15,
        "Present_Velocity": 15,
        "Goal_Position": 15,
        "Present_Position": 15,
    }
    for model in ("sts3215", "sts3250", "sm8512bl")
}
MODEL_ENCODING_TABLE["scs0009"] = {}

# Operating_Mode values.
OPERATING_MODES: dict[str, int] = {"position": 0, "velocity": 1, "pwm": 2, "step": 3}

# Registers in the EEPROM area (address below Torque_Enable); writes need torque off and Lock = 0.
EEPROM_END_ADDRESS = 40
