"""Camera factory and discovery."""

from __future__ import annotations

from typing import Any

from lerobot.cameras.camera import Camera
from lerobot.cameras.configs import CameraConfig
from lerobot.utils.cli import ArgumentParser, command


def make_cameras_from_configs(configs: dict[str, CameraConfig]) -> dict[str, Camera]:
    """Build cameras by their config `type` through the registry (no per-type branches)."""
    import lerobot.cameras.opencv  # noqa: F401  (registers "opencv")
    import lerobot.cameras.realsense  # noqa: F401  (registers "intelrealsense")

    cameras = {}
    for key, cfg in configs.items():
        cls = Camera.registry.get(cfg.type)
        if cls is None:
            raise ValueError(f"Camera '{key}': unknown type '{cfg.type}'; known: {sorted(Camera.registry)}.")
        cameras[key] = cls(cfg)
    return cameras


def find_cameras(camera_type: str | None = None) -> list[dict[str, Any]]:
    """List the cameras every backend (or only `camera_type`) can see."""
    import lerobot.cameras.opencv  # noqa: F401
    import lerobot.cameras.realsense  # noqa: F401

    found = []
    for name, cls in sorted(Camera.registry.items()):
        if camera_type in (None, name):
            found.extend(cls.find_cameras())
    return found


@command("lerobot-find-cameras")
def main(argv: list[str] | None = None) -> None:
    """`lerobot-find-cameras`: print the cameras found."""
    parser = ArgumentParser(
        prog="lerobot-find-cameras", description="List the cameras connected to this machine."
    )
    parser.add_argument(
        "type", nargs="?", choices=["opencv", "intelrealsense"], default=None, help="only this backend"
    )
    args = parser.parse_args(argv)
    cams = find_cameras(args.type)
    if not cams:
        print("No camera found.")
    for cam in cams:
        print(cam)


if __name__ == "__main__":
    main()
