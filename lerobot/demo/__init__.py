"""The `make demo` pipeline (lerobot/demo/pusht.py): demonstrations, training, evaluation and report."""
