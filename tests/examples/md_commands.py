"""The shell commands of a markdown page: its ```bash blocks, continuation lines joined, comments dropped."""

from __future__ import annotations

import re
import shlex
from pathlib import Path


def bash_commands(md: Path) -> list[list[str]]:
    """Each command of the page's bash blocks as an argv list."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", Path(md).read_text(), flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split(" # ")[0].strip() if not line.lstrip().startswith("#") else ""
            if line:
                commands.append(shlex.split(line))
    return commands
