"""Low-level reader helpers: parquet columns to numpy, PNG blob columns, path templates."""

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from lerobot.datasets.formats.common import (
    BlobColumn,
    DatasetFormatError,
    check_relative_template,
    column_to_numpy,
    concat_columns,
    take_rows,
)
from lerobot.datasets.formats.episodes_table import EpisodesTable

SRC = Path("x.parquet")


@pytest.mark.parametrize("binary_type", [pa.binary(), pa.large_binary()])
def test_blob_column_from_sliced_arrow(binary_type):
    values = [b"a", b"", b"hello", b"xyz", b"!!"]
    struct = pa.StructArray.from_arrays(
        [pa.array(values, type=binary_type), pa.array(["p"] * 5)], names=["bytes", "path"]
    )
    table = pa.table({"img": struct.slice(1, 3)})  # an array offset into shared buffers
    col = column_to_numpy(table, "img", SRC)
    assert isinstance(col, BlobColumn) and len(col) == 3
    assert [col[i] for i in range(3)] == [b"", b"hello", b"xyz"]
    assert col.values(np.array([2, 0])) == [b"xyz", b""]
    both = concat_columns([col, take_rows(col, np.array([2, 1]))])
    assert both.values(np.arange(5)) == [b"", b"hello", b"xyz", b"xyz", b"hello"]
    empty = column_to_numpy(pa.table({"img": struct.slice(0, 0)}), "img", SRC)
    assert len(empty) == 0


def test_list_columns_to_numpy():
    table = pa.table(
        {
            "fixed": pa.FixedSizeListArray.from_arrays(pa.array(np.arange(6, dtype=np.float32)), 2),
            "nested": pa.array([[[1, 2]], [[3, 4]], [[5, 6]]]),
            "scalar": pa.array([1, 2, 3]),
        }
    )
    assert column_to_numpy(table, "fixed", SRC).shape == (3, 2)
    assert column_to_numpy(table, "nested", SRC).tolist() == [[[1, 2]], [[3, 4]], [[5, 6]]]
    assert column_to_numpy(table, "scalar", SRC).tolist() == [1, 2, 3]
    ragged = pa.table({"r": pa.array([[1, 2], [3]])})
    with pytest.raises(DatasetFormatError, match="'r' has rows of different lengths"):
        column_to_numpy(ragged, "r", SRC)
    with pytest.raises(DatasetFormatError, match="'n' has null entries"):
        column_to_numpy(pa.table({"n": pa.array([1, None])}), "n", SRC)


@pytest.mark.parametrize(
    ("template", "match"),
    [
        ("/etc/{episode_index}.parquet", "escapes the dataset root"),
        ("data/../../{episode_index}.parquet", "escapes the dataset root"),
        ("data/{episode}.parquet", "cannot be formatted"),
        ("", "non-empty path template"),
    ],
)
def test_bad_templates(template, match):
    with pytest.raises(DatasetFormatError, match=match):
        check_relative_template(template, "data_path", Path("meta/info.json"), {"episode_index": 0})


def test_episodes_table_access():
    table = EpisodesTable([{"episode_index": 3, "length": 5}, {"episode_index": 1, "length": 2}])
    assert table["length"] == [5, 2] and table[1] == {"episode_index": 1, "length": 2}
    assert table.row_of_episode(1)["length"] == 2 and len(table) == 2
    assert table.column_names == ["episode_index", "length"]
    with pytest.raises(KeyError, match="no column 'len'"):
        table["len"]
    with pytest.raises(IndexError, match="row 2 out of range"):
        table[2]
    with pytest.raises(KeyError, match=r"episode 7 is not in the episodes table"):
        table.row_of_episode(7)
