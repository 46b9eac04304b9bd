"""Estimates built on the data: export-control rules, training, serving, roofline, match and the calibration
against published results. Each shared formula is written once, in `formulas`."""
