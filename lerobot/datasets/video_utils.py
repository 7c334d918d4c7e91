"""Former path of `lerobot.datasets.video.decoding`, kept so existing imports work.

`import lerobot.datasets.video_utils` gives the very module object `lerobot.datasets.video.decoding` (not a copy
of its names), so private helpers and module attributes set by callers (e.g. tests) are shared.
"""

import sys

from lerobot.datasets.video import decoding as _module

sys.modules[__name__] = _module
