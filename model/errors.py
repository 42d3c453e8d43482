"""The one exception type for bad user input.

Every loader and validator raises :class:`InputError` with the file and field at fault, so the
command line can print one clear line and exit with code 2 instead of a traceback.
"""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad input: names the file, the row (if any) and the field that is wrong."""

    def __init__(self, message: str, *, file: object = None, row: int | None = None,
                 field: str | None = None) -> None:
        where = []
        if file is not None:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field '{field}'")
        self.file, self.row, self.field = file, row, field
        super().__init__(f"{': '.join([', '.join(where), message]) if where else message}")
