"""The write side of datasets (codebase v3.0): `writer.DatasetWriter` (the design is in its module
docstring), `frames` (features and frame validation), `merge` (tail files and amortized merges), `commit`
(crash-safe commits and recovery), `lock` (one writer per root), `image_writer` (temporary PNGs)."""
