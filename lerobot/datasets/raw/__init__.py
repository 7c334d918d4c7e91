"""Converters from other projects' raw dataset formats to LeRobot datasets (codebase v3.0).

One module per raw format (`pusht_zarr`, `umi_zarr`, `aloha_hdf5`, `xarm_pkl`, `robomimic_hdf5`); the
registry and the conversion loop are in `lerobot/datasets/raw/registry.py`, the command line in
`lerobot/scripts/push_dataset_to_hub.py`.
"""
