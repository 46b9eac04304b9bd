"""Pure pandas over the loaded data: filters, fields and metrics, list/show/compare/rank/export, systems and
the audit. Returns `Result`s and raises domain errors; never prints."""
