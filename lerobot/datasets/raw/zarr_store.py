"""Open a Diffusion Policy / UMI `ReplayBuffer` (zarr format 2): `data/<array>` + `meta/episode_ends`.

A folder store or a `.zarr.zip` ZipStore. UMI's published images use the JPEG-XL codec of `imagecodecs`
(`pip install imagecodecs`), registered here when installed (zarr cannot decode those images without it).
"""

from __future__ import annotations

from pathlib import Path

from lerobot.datasets.raw.common import RawFormatError, episode_bounds, get_array


def find_zarr(raw_dir: Path) -> Path:
    """The zarr store of `raw_dir`: the folder itself when it is one, else the one `*.zarr` folder or
    `*.zarr.zip` file inside it."""
    raw_dir = Path(raw_dir)
    if not raw_dir.exists():
        raise FileNotFoundError(f"--raw-dir {raw_dir} does not exist.")
    if raw_dir.is_file() or (raw_dir / ".zgroup").is_file() or (raw_dir / "zarr.json").is_file():
        return raw_dir
    found = sorted([*raw_dir.glob("*.zarr"), *raw_dir.glob("*.zarr.zip")])
    if len(found) != 1:
        raise RawFormatError(
            f"{raw_dir}: expected a zarr store (a folder with .zgroup, or one *.zarr / *.zarr.zip inside it), "
            f"found {[p.name for p in found] or 'none'}."
        )
    return found[0]


def open_replay_buffer(raw_dir: Path):
    """(path, root group, data group, [(from, to) per episode]) of the ReplayBuffer in `raw_dir`."""
    import zarr

    try:  # UMI compresses its images with imagecodecs' JPEG-XL codec: register it when installed
        from imagecodecs.numcodecs import register_codecs

        register_codecs()
    except ImportError:
        pass
    path = find_zarr(raw_dir)
    try:
        if path.is_file():
            store = zarr.storage.ZipStore(str(path), mode="r")
            root = zarr.open_group(store=store, mode="r")
        else:
            root = zarr.open_group(str(path), mode="r")
    except Exception as e:  # zarr raises several types for "not a group"
        raise RawFormatError(f"{path}: not a readable zarr group ({e}).") from e
    data = get_array(root, "data", path, "a group 'data' of per-frame arrays")
    ends = get_array(root, "meta/episode_ends", path, "cumulative episode ends (E,) int")
    return path, root, data, ends


def bounds(path: Path, data, ends, first_key: str) -> list[tuple[int, int]]:
    n = get_array(data, first_key, path, "per-frame data").shape[0]
    return episode_bounds(ends[:], n, path, "meta/episode_ends")
