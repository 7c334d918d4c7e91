"""Web visualizer of LeRobot datasets (`lerobot-dataset-viz-html`): see `lerobot/visualization/site.py`."""
