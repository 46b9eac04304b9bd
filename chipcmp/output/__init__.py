"""Rendering one `Result` many ways: terminal tables, CSV/TSV/JSON/Markdown writers and charts."""
