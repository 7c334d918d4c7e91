"""Edit a LeRobot dataset without ever losing data: `lerobot-edit-dataset`.

    lerobot-edit-dataset --repo_id=me/pusht --root=data/pusht \
        --operation.type=delete_episodes --operation.episode_indices='[0, 2]'          # in place, backup kept
    lerobot-edit-dataset --repo_id=me/pusht --new_repo_id=me/pusht_clean \
        --operation.type=delete_episodes --operation.episode_indices='[0, 2]'          # a new dataset
    lerobot-edit-dataset --repo_id=me/pusht --operation.type=split --operation.splits='{train: 0.8, val: 0.2}'
    lerobot-edit-dataset --new_repo_id=me/all --operation.type=merge --operation.repo_ids='[me/a, me/b]'
    lerobot-edit-dataset --repo_id=me/pusht --operation.type=info --operation.show_features=true
    lerobot-edit-dataset --root=data/pusht --operation.type=check [--operation.fix=true]  # = lerobot-dataset-check

Without `--new_repo_id` / `--new_root` an edit is made in place: the new dataset is written beside the old
one and swapped in by renames; the old one is kept as `<root>.backup-<time>` (`--keep_backup=false` deletes
it after the swap). The operations are the functions of `lerobot.datasets.tools.edits`.

This script only parses the flags; the operations are `lerobot/datasets/tools/edit_operations.py`.
"""

from __future__ import annotations

import sys

from lerobot.configs.parser import parse
from lerobot.datasets.tools.edit_operations import (  # noqa: F401  (re-exported)
    AddFeatureConfig,
    CheckConfig,
    ConvertImageToVideoConfig,
    DatasetProblemsError,
    DeleteEpisodesConfig,
    EditDatasetConfig,
    InfoConfig,
    MergeConfig,
    ModifyTasksConfig,
    OperationConfig,
    ReencodeConfig,
    RemoveFeatureConfig,
    SplitConfig,
    run,
)
from lerobot.utils.cli import UsageError, command


@command("lerobot-edit-dataset")
def main(args: list[str] | None = None) -> int:
    """Errors end as one line on stderr (lerobot/utils/cli.py): exit 2 for a user error."""
    args = list(sys.argv[1:] if args is None else args)
    if not any(a.startswith("--operation.type") for a in args) and not {"-h", "--help"} & set(args):
        names = ", ".join(sorted(OperationConfig.get_known_choices()))
        raise UsageError(f"--operation.type is required: one of {names}")
    try:
        outs = run(parse(EditDatasetConfig, args))
    except DatasetProblemsError as e:
        print(f"lerobot-edit-dataset: {e}", file=sys.stderr)
        raise SystemExit(1) from None
    for out in outs:
        print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
