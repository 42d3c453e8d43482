"""The tile map of the page: one square per member of the Council, placed as in the briefings'
map (:data:`model.reporting.charts.TILE_GRID`) and coloured by P(for) on the same scale.

A geographic map would need map geometry from the network; tiles need none, and every state
gets a square of the same size, so small states stay visible.
"""

from __future__ import annotations

import math

from ..reporting.charts import CMAP, EXTRA_TILES, TILE_GRID
from ..reporting.labels import state_names

__all__ = ["tiles", "colour", "legend"]


def colour(value: float) -> tuple[str, str]:
    """Fill and text colour of a tile with P(for) ``value`` (dark text on light fills).

    >>> colour(0.0), colour(1.0)
    (('#440154', 'white'), ('#fde725', 'black'))
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    r, g, b, _ = colormaps[CMAP](float(value))
    light = 0.299 * r + 0.587 * g + 0.114 * b > 0.55
    return to_hex((r, g, b)), "black" if light else "white"


def tiles(values: dict[str, float], members: list[str]) -> list[dict]:
    """One tile per member: ``iso2``, ``name``, ``column`` and ``row`` (from 1, for a CSS grid),
    ``fill``, ``text`` and ``value`` (None for a state that is absent, drawn hatched). A member
    without a place on the grid is put on a row below it."""
    names = state_names()
    places = {**TILE_GRID, **EXTRA_TILES}
    bottom = max((y for s, (_, y) in places.items() if s in members), default=-1) + 1
    out, spare = [], 0
    for iso in members:
        if iso in places:
            column, row = places[iso]
        else:
            column, row, spare = spare, bottom, spare + 1
        value = values.get(iso)
        if value is not None and not math.isnan(value):
            fill, text = colour(value)
        else:
            value, fill, text = None, "white", "#555"
        out.append({"iso2": iso, "name": names.get(iso, iso), "column": column + 1,
                    "row": row + 1, "fill": fill, "text": text, "value": value})
    return out


def legend(steps: int = 5) -> list[tuple[float, str]]:
    """(value, fill) stops of the colour scale from 0 to 1."""
    return [(i / (steps - 1), colour(i / (steps - 1))[0]) for i in range(steps)]
