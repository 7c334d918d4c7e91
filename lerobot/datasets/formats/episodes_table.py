"""`EpisodesTable`: the v3.0 episode table (`meta.episodes`) with the access patterns of an HF `Dataset`.

`table["dataset_from_index"]` -> list (one value per episode), `table[i]` -> dict (one episode's row),
`len(table)`, iteration over rows, `table.column_names`, `table.to_pandas()`.
"""

from collections.abc import Iterator


class EpisodesTable:
    def __init__(self, rows: list[dict]):
        self._rows = rows
        self._by_episode = {int(r["episode_index"]): r for r in rows}

    @property
    def column_names(self) -> list[str]:
        return list(self._rows[0]) if self._rows else []

    @property
    def num_rows(self) -> int:
        return len(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[dict]:
        return (dict(r) for r in self._rows)

    def __getitem__(self, key: str | int) -> list | dict:
        if isinstance(key, str):
            if self._rows and key not in self._rows[0]:
                raise KeyError(f"episodes table has no column {key!r}; columns: {self.column_names}")
            return [r[key] for r in self._rows]
        if isinstance(key, int):
            if not -len(self._rows) <= key < len(self._rows):
                raise IndexError(
                    f"episode row {key} out of range for an episodes table of {len(self._rows)} rows"
                )
            return dict(self._rows[key])
        raise TypeError(
            f"index the episodes table with a column name or a row number, got {type(key).__name__}"
        )

    def row_of_episode(self, episode_index: int) -> dict:
        """The row whose `episode_index` equals the argument (row order may differ from episode ids)."""
        try:
            return self._by_episode[int(episode_index)]
        except KeyError:
            raise KeyError(
                f"episode {episode_index} is not in the episodes table (episodes: {sorted(self._by_episode)})"
            ) from None

    def to_pylist(self) -> list[dict]:
        return [dict(r) for r in self._rows]

    def to_pandas(self):
        import pandas as pd

        return pd.DataFrame(self._rows)

    def __repr__(self) -> str:
        return f"EpisodesTable(num_rows={len(self._rows)}, columns={self.column_names})"
