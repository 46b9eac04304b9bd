"""The suite, laid out as the package is: tests/data, tests/core, tests/estimate, tests/output and tests/commands
cover the subpackage of the same name (a test sits where the code it mainly exercises lives; a command's tests go
through the CLI under tests/commands). Project-wide checks stay at the top: the architecture, the docs, the
installed entry point."""
