"""Camera factory and discovery."""

from __future__ import annotations

from typing import Any

from lerobot.cameras.camera import Camera
from lerobot.cameras.configs import CameraConfig
from lerobot.registry import CAMERAS, UnknownTypeError
from lerobot.utils.cli import ArgumentParser, command


def make_cameras_from_configs(configs: dict[str, CameraConfig]) -> dict[str, Camera]:
    """Build cameras by their config `type` through the registry (lerobot/registry.py), not connected."""
    cameras = {}
    for key, cfg in configs.items():
        try:
            cls = CAMERAS.get_class(cfg.type)
        except UnknownTypeError as e:
            raise ValueError(f"Camera '{key}': {e}") from None
        cameras[key] = cls(cfg)
    return cameras


def find_cameras(camera_type: str | None = None) -> list[dict[str, Any]]:
    """List the cameras every backend (or only `camera_type`) can see."""
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
    parser.add_argument("type", nargs="?", choices=CAMERAS.names(), default=None, help="only this backend")
    args = parser.parse_args(argv)
    cams = find_cameras(args.type)
    if not cams:
        print("No camera found.")
    for cam in cams:
        print(cam)


if __name__ == "__main__":
    main()
