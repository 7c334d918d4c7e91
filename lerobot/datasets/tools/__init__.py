"""Dataset tools: edits that never destroy data (edits.py, written by rewrite.py, swapped in place by
swap.py), the end-to-end checker (check.py) and the text reports of `lerobot-info` (info.py)."""
