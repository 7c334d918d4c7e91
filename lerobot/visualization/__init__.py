"""Dataset visualizers: the web one (`lerobot-dataset-viz-html`, `lerobot/visualization/site.py`) and the
Rerun one (`lerobot-dataset-viz`, `lerobot/visualization/rerun_episode.py`)."""
