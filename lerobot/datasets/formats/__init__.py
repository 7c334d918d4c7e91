"""On-disk readers, one module per codebase version family (v2.x: `v21`, v3.x: `v30`)."""
