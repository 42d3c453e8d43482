"""Seeded random streams per (experiment point, block of replications, purpose).

Random numbers come in fixed blocks of :data:`BLOCK` replications, each with its own streams
``SeedSequence(seed, spawn_key=(point, block, purpose))``: one for preference shocks, one for
the credibility of China's instruments, one for the final vote, one for the credibility of
the echo of an instrument through business lobbying. A replication's numbers
therefore depend only on the seed, the experiment point and its block - not on how many
replications run together or how the work is split, as long as chunks are whole blocks - and
two scenarios run with the same seed share their shocks and vote draws exactly (common random
numbers), whatever China does in each.

>>> a = Streams(7, 0, 0, [250, 250]).uniform("vote", (3,))
>>> b = Streams(7, 0, 1, [250]).uniform("vote", (3,))
>>> bool((a[250:] == b).all())
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["BLOCK", "PURPOSES", "Streams", "block_sizes"]

BLOCK = 250
PURPOSES = ("shock", "credibility", "vote", "lobbying")


def block_sizes(replications: int, block: int = BLOCK) -> list[int]:
    """Sizes of the blocks making up ``replications`` (all full but possibly the last)."""
    return [min(block, replications - s) for s in range(0, replications, block)]


class Streams:
    """The generators of one model run: one per block and purpose."""

    def __init__(self, seed: int, point: int, first_block: int, sizes: list[int]) -> None:
        self.sizes = list(sizes)
        self._generators = {
            purpose: [np.random.default_rng(np.random.SeedSequence(
                seed, spawn_key=(point, first_block + b, code))) for b in range(len(sizes))]
            for code, purpose in enumerate(PURPOSES)}

    def uniform(self, purpose: str, extra: tuple = ()) -> np.ndarray:
        """Uniform draws (R, *extra), block by block from the ``purpose`` streams."""
        return np.concatenate([g.random((s, *extra))
                               for g, s in zip(self._generators[purpose], self.sizes)])

    def normal(self, purpose: str, extra: tuple = ()) -> np.ndarray:
        """Standard normal draws (R, *extra), block by block."""
        return np.concatenate([g.standard_normal((s, *extra))
                               for g, s in zip(self._generators[purpose], self.sizes)])
