"""The write side of datasets (codebase v3.0): `writer.DatasetWriter` (the design is in its module
docstring), `episode` (the saved episode's snapshot and columns), `frames` (features and frame validation),
`merge` (tail files and geometric merges), `commit` (crash-safe commits and recovery), `lock` (one writer
per root), `image_writer` (temporary PNGs)."""
