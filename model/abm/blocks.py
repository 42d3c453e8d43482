"""Sums per block of replications, and their total in block order.

A mean over replications is kept as one sum per block of :data:`~model.abm.streams.BLOCK`
replications (a block's sum depends only on its own replications) and the run's mean is the
total of those block sums, added one block after another from the first, divided by R. A run
split into chunks of whole blocks, streamed or kept in memory, therefore adds the same numbers
in the same order and gets the same mean to the last bit: every mean a run reports over its
replications goes through :func:`add_blocks`.

>>> sums = block_sums(np.array([[0.1, 0.2, 0.3, 0.4, 0.5]]), [2, 2, 1])
>>> sums.shape
(1, 3)
>>> whole = add_blocks(sums)
>>> split = add_blocks(sums[:, 1:], add_blocks(sums[:, :1]))
>>> bool((whole == split).all())
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["block_sums", "add_blocks"]


def block_sums(values: np.ndarray, sizes: list[int], axis: int = 1) -> np.ndarray:
    """Sums of ``values`` (``axis`` over the replications) per block of ``sizes``: the shape
    of ``values`` with that axis of length ``len(sizes)``. The sums do not depend on the
    memory layout of ``values`` (tests check it)."""
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    return np.add.reduceat(values, starts, axis=axis)


def add_blocks(sums: np.ndarray, total: np.ndarray | None = None) -> np.ndarray:
    """``total`` (zeros if None) plus the block sums along axis 1, one block after another.

    The explicit order is the point: numpy's ``sum`` may add in pairs, or not, depending on
    the shape and the memory layout, and a whole run and its chunks have different shapes."""
    out = np.zeros_like(sums[:, 0]) if total is None else total.copy()
    for b in range(sums.shape[1]):
        out += sums[:, b]
    return out
