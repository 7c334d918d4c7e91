import os

# Off-screen MuJoCo rendering on CPU (Mesa EGL); must be set before mujoco is imported.
os.environ.setdefault("MUJOCO_GL", "egl")
