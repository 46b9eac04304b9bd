"""One module per subcommand (its options and one call), plus what they share: `base` (the app, shared
options, the error edge), `context` (shared options resolved once, the one output path) and `complete`."""
