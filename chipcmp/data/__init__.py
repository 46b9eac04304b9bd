"""The data layer: the bundled files, their schema, reading and validating them, provenance, prices,
models and systems. Knows nothing of commands or output."""
