"""The Treaty arithmetic: positions, rules, votes, exact voting power, passage probability and
blocking coalitions. Pure and exact: integer populations, no sampling, no file reads.

Lower layers of the package never import higher ones; this one imports nothing of the package
but :mod:`model.errors`.
"""
