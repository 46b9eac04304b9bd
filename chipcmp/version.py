"""The one place the version is written: pyproject.toml reads it from here (tool.hatch.version), and it
costs no import of importlib.metadata (~13 ms)."""

__version__ = "0.1.0"
