"""Everything the model reads: the sourced tables and parameter files of params/, validated,
with their provenance (:mod:`.tables`, :mod:`.catalogue`), and the per-state quantities built
from them (exposure channels, :mod:`.exposure`; political stance, :mod:`.stance`).

The only modules that read params/. Bad input raises :class:`model.errors.InputError` naming
the file, row and field.
"""
