"""The exact engine: counts and probability masses of a game's winning coalitions.

Every Council rule is a simple game on the coalition of states voting in favour: a coalition of
``k`` states with population ``p`` wins iff ``p >= thresholds[k]``
(:class:`model.treaty.game.Game`).
Counting winning coalitions one by one over the 2^27 subsets of the EU27 is what published tools
do and takes about a minute. Here the players are split into two halves; each half's 2^13 or
2^14 subsets are enumerated once with their size and exact integer population and sorted by
(size, population). For every subset ``a`` of one half and every coalition size ``k`` whose
threshold is a genuine population quota, one vectorised binary search (``numpy.searchsorted``)
finds how many subsets ``b`` of the other half complete it to a winning coalition, or, with
cumulative sums of probabilities, how much probability mass they carry. The same searches,
read from the other half's side (interval counting with ``bincount`` and ``cumsum``), give how
many subsets of the first half complete each subset of the second, so per-player counts
(swings) need one search direction only. For counts the search goes block by block (subsets
of size s of one half against those of size k - s of the other, the smaller block searched
into the larger), a few quota sizes at a time in reused buffers, and per-player sums fold
the counts in sorted order, two players at a time, with the positions each merge step put
its two runs at (no gather into bitmask order). Sizes whose threshold is 0 (every coalition
wins) or ``never`` (none does), or whose
outcome the populations settle (even the k smallest reach the quota, or even the k largest
miss it), are binomial coefficients. The result is exact: populations are never
rounded, counts are integers and Shapley-Shubik weights k!(n-k-1)!/n! use Python integers.
Probabilities are sums of products of the states' own probabilities (float64, no sampling).

Why: the Banzhaf, Shapley-Shubik and Coleman indices and the probability that a draft passes
(and which state's vote is most likely to decide it) are the headline numbers of the model, and
exact values in milliseconds let the agent-based model recompute them every step.

Examples
--------
A three-player weighted game with quota 4 and weights 3, 2, 1 (sizes do not matter, so every
threshold is the quota):

>>> from model.treaty.game import Game
>>> g = Game("custom", ("A", "B", "C"), (3, 2, 1), (4, 4, 4, 4))
>>> print(power_of_game(g).round(4).to_string())
      banzhaf_absolute  banzhaf_normalised  shapley_shubik  coleman_prevent  coleman_initiate
iso2
A                 0.75                 0.6          0.6667           1.0000              0.6
B                 0.25                 0.2          0.1667           0.3333              0.2
C                 0.25                 0.2          0.1667           0.3333              0.2
"""

from __future__ import annotations

import itertools
import math
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from .game import Game

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["INDEX_COLUMNS", "MAX_PLAYERS", "SwingCounts", "PassageResult", "swing_counts",
           "power_of_game", "win_mass", "exclusive", "leave_one_out_products"]

INDEX_COLUMNS = ("banzhaf_absolute", "banzhaf_normalised", "shapley_shubik", "coleman_prevent",
                 "coleman_initiate")

# threshold kinds
_ZERO, _QUOTA, _NEVER = 0, 1, 2
#: each half enumerates 2^(n/2) subsets; 44 players is 2^22 per half (all power indices of
#: 44 players: a process peak of about 340 MiB)
MAX_PLAYERS = 44


def _check_game(g: Game) -> tuple[np.ndarray, np.ndarray, int]:
    n = len(g.states)
    if n == 0:
        raise InputError("a game needs at least one player", field="participating")
    if n > MAX_PLAYERS:
        raise ValueError(f"exact enumeration supports at most {MAX_PLAYERS} players (got {n})")
    if len(g.populations) != n or len(g.thresholds) != n + 1:
        raise ValueError("a game needs one population per state and n + 1 thresholds")
    pops = [int(p) for p in g.populations]
    if any(p < 0 for p in pops):
        raise InputError("negative population", field="population")
    thresholds = [int(t) for t in g.thresholds]
    if any(b > a for a, b in itertools.pairwise(thresholds)):
        raise ValueError("thresholds must never increase with coalition size (monotone game)")
    total = sum(pops)
    shift = 1 << (total + 1).bit_length()
    if (n + 2) * shift >= 2**62:
        raise ValueError("populations too large for exact 64-bit keys")
    return np.array(pops, dtype=np.int64), np.array(thresholds, dtype=object), total


def _kinds(thresholds, total: int) -> np.ndarray:
    return np.array([_ZERO if t <= 0 else (_NEVER if t > total else _QUOTA) for t in thresholds])


def _settled_kinds(kinds: np.ndarray, thresholds, pops: np.ndarray) -> np.ndarray:
    """Quota sizes whose outcome the populations already settle, marked as such.

    Every coalition of size k wins when even the k smallest populations reach the quota, and
    none does when even the k largest fall short; their counts are binomial coefficients,
    exactly what the search would find, at no cost. (Counting only: probability masses keep
    their own summation order, so their bytes do not move.)
    """
    ascending = np.concatenate([[0], np.cumsum(np.sort(pops))]).tolist()
    total = ascending[-1]
    out = kinds.copy()
    for k in np.flatnonzero(kinds == _QUOTA).tolist():
        t = int(thresholds[k])
        if ascending[k] >= t:
            out[k] = _ZERO
        elif total - ascending[len(pops) - k] < t:
            out[k] = _NEVER
    return out


# --------------------------------------------------------------------------------------------
# meet-in-the-middle machinery
# --------------------------------------------------------------------------------------------

def _merged_pairs(w: tuple[int, ...], shift: int) -> tuple[np.ndarray, np.ndarray]:
    """Keys and bitmask indices of all subsets, stably sorted by key, by repeated merging.

    The subsets of players 0..j sorted by key (size * shift + population), with their bitmask
    indices; adding player j gives a second sorted run (every key up by shift + w_j, every
    index up by 2^j), so a stable sort of the two runs is a linear merge that keeps equal
    keys in bitmask order: the stable sort of all 2^m keys at once, at a fraction of its cost.
    """
    keys = np.zeros(1, dtype=np.int64)
    order = np.zeros(1, dtype=np.intp)
    for j, wj in enumerate(w):
        merged = np.concatenate([keys, keys + (shift + wj)])
        perm = np.argsort(merged, kind="stable")
        keys = merged[perm]
        order = np.concatenate([order, order + (1 << j)])[perm]
    return keys, order


def _merged_packed(w: tuple[int, ...], shift: int) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`_merged_pairs`, with key and index packed into one int64 (key above the m
    index bits), so each merge sorts plain values instead of gathering through a permutation.

    Packed values are distinct and order by key, then by bitmask index: exactly the stable
    sort. Adding player j adds 2^j to indices below 2^j, so no carry reaches the key.
    """
    m = len(w)
    packed = np.zeros(1 << m, dtype=np.int64)
    for j, wj in enumerate(w):  # packed[:2^j] holds the sorted subsets of players 0..j-1
        run = packed[:1 << j]
        np.add(run, ((shift + wj) << m) + (1 << j), out=packed[1 << j:2 << j])
        packed[:2 << j].sort(kind="stable")  # two sorted runs: a linear merge
    return packed >> m, (packed & ((1 << m) - 1)).astype(np.intp)


#: Halves of more players than this are cached only a few at a time: one of 22 players holds
#: 2^22 subsets in several arrays (over 100 MB).
_LARGE_HALF = 18
#: count entries per half held at once (int32): the rows of a large half one at a time
_ROW_BUDGET = 1 << 22


def _layout(w: tuple[int, ...], shift: int) -> tuple[np.ndarray, ...]:
    """Subsets of players with populations ``w`` (bitmask order) sorted by (size, population).

    Returns order, inverse, sorted keys, sorted sizes, sorted populations and ``offsets``
    (offsets[j] = first sorted position of a subset of size j, j = 0 .. m + 1). Cached: the
    agent-based model asks about the same populations again and again; large halves are kept
    four at a time, so a run over many large Councils does not hold gigabytes.
    """
    return (_layout_large if len(w) > _LARGE_HALF else _layout_small)(w, shift)


def _clear_layouts() -> None:
    """Forget every cached layout (benchmarks time a first call)."""
    _layout_small.cache_clear()
    _layout_large.cache_clear()
    _sorted_small.cache_clear()
    _sorted_large.cache_clear()




def _build_layout(w: tuple[int, ...], shift: int) -> tuple[np.ndarray, ...]:
    m = len(w)
    if ((m + 1) * shift) << m < 2**63:
        keys, order = _merged_packed(w, shift)
    else:  # pragma: no cover - keys too wide to share an int64 with the subset index
        keys, order = _merged_pairs(w, shift)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    bits = shift.bit_length() - 1  # shift is a power of two
    sizes = keys >> bits
    pops = keys & (shift - 1)
    offsets = np.searchsorted(keys, np.arange(m + 2, dtype=np.int64) * shift)
    out = (order, inverse, keys, sizes, pops, offsets)
    for array in out:
        array.setflags(write=False)
    return out


_layout_small = lru_cache(maxsize=256)(_build_layout)
_layout_large = lru_cache(maxsize=4)(_build_layout)
_layout.cache_clear = _clear_layouts      # the lru_cache interface the tests and benchmarks use
_layout.__wrapped__ = _build_layout


def _unmerge_levels(order: np.ndarray, m: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Per player j: sorted positions, among the subsets of players 0..j, of those without j
    and of those with j, derived from the final ``order`` (bitmask of each sorted subset).

    The sorted subsets of players 0..j are the sorted subsets of all players restricted to
    masks below 2^(j+1) (a restriction of one total order). Used when keys are too wide to
    pack; the packed build records the same positions while it merges.
    """
    levels = []
    current = order
    for j in range(m - 1, -1, -1):
        has_j = (current >> j) & 1 == 1
        without = np.flatnonzero(~has_j)
        levels.append((without, np.flatnonzero(has_j)))
        current = current[without]
    return tuple(levels[::-1])


def _fold_steps(levels) -> tuple:
    """The folds of :func:`_member_sums`, highest players first, two at a time.

    For players j and j - 1: the positions, among the sorted subsets of players 0..j, of the
    four classes (neither, j - 1, j, both), each listed in the sorted order of the subsets of
    players 0..j-2 (composed from the two players' unmerge positions), with the players the
    class holds. One gather per class folds both players out: each subset is read once per
    two players instead of once per player. A lone lowest player folds alone.
    """
    steps = []
    j = len(levels) - 1
    while j >= 0:
        without, with_j = levels[j]
        if j == 0:
            steps.append(((without, ()), (with_j, (0,))))
        else:
            below_without, below_with = levels[j - 1]
            steps.append(((without[below_without], ()), (without[below_with], (j - 1,)),
                          (with_j[below_without], (j,)), (with_j[below_with], (j - 1, j))))
        j -= 2
    return tuple(steps)


@lru_cache(maxsize=128)
def _size_offsets(m: int) -> np.ndarray:
    """First sorted position of each subset size of m players: 0, C(m,0), C(m,0)+C(m,1), ...
    (m + 2 entries; subsets sorted by size first)."""
    out = np.array(list(itertools.accumulate((math.comb(m, s) for s in range(m + 1)),
                                             initial=0)), dtype=np.intp)
    out.setflags(write=False)
    return out


def _has_bit(packed: np.ndarray, j: int) -> np.ndarray:
    """Boolean: bit j of each int64, read from its byte (no 64-bit temporary) when the
    machine is little-endian."""
    if sys.byteorder != "little":  # pragma: no cover - every supported platform is
        return (packed & (1 << j)) != 0
    byte = packed.view(np.uint8)[j >> 3::8]
    return ((byte >> (j & 7)) & 1).view(np.bool_)


def _build_sorted_half(w: tuple[int, ...], shift: int) -> tuple:
    """What counting needs of one half: sorted populations, ``offsets`` (first sorted position
    of each size) and the folds of its players (:func:`_fold_steps` of the per-player unmerge
    positions, :func:`_unmerge_levels`).

    The sorted subsets of players 0..j are the merge of those of players 0..j-1 (a run) and
    the same run with player j added; both runs keep their order in the merge, so the
    positions of each run are what folds player j back out (:func:`_member_sums`).
    """
    m = len(w)
    if ((m + 1) * shift) << m >= 2**63:  # pragma: no cover - keys too wide to pack
        keys, order = _merged_pairs(w, shift)
        return keys & (shift - 1), _size_offsets(m), _fold_steps(_unmerge_levels(order, m))
    packed = np.zeros(1 << m, dtype=np.int64)
    levels = []
    for j, wj in enumerate(w):  # as _merged_packed, recording where each run went
        np.add(packed[:1 << j], ((shift + wj) << m) + (1 << j), out=packed[1 << j:2 << j])
        merged = packed[:2 << j]
        merged.sort(kind="stable")
        has_j = _has_bit(merged, j)
        levels.append((np.flatnonzero(~has_j), np.flatnonzero(has_j)))
    np.right_shift(packed, m, out=packed)
    np.bitwise_and(packed, shift - 1, out=packed)
    return packed, _size_offsets(m), _fold_steps(levels)


def _sorted_half(w: tuple[int, ...], shift: int) -> tuple:
    """Cached :func:`_build_sorted_half` (large halves a few at a time, as :func:`_layout`)."""
    return (_sorted_large if len(w) > _LARGE_HALF else _sorted_small)(w, shift)


_sorted_small = lru_cache(maxsize=256)(_build_sorted_half)
_sorted_large = lru_cache(maxsize=4)(_build_sorted_half)


class _SortedHalf:
    """One half's subsets sorted by (size, population), for counting."""

    def __init__(self, members: np.ndarray, pops: np.ndarray, shift: int):
        self.members = members
        self.m = len(members)
        self.pops, self.offsets, self.steps = _sorted_half(
            tuple(int(v) for v in pops[members]), shift)


def _member_sums(values: np.ndarray, steps, bound: int, sizes: tuple[int, int]) -> np.ndarray:
    """(rows, m) int64: entry (r, j) is the sum of ``values[r]`` over the subsets containing
    player j; ``values`` (rows, 2^m; int32 or int64, entries at most ``bound``) in sorted
    order, zero outside the subsets whose size is in ``sizes`` (lo, hi).

    Folds out the highest players at each step in sorted order (:func:`_fold_steps`): the
    subsets of each class, taken in their listed order, are the same subsets of the players
    below in the same order, so adding the classes' gathers folds the players out (gathers
    in increasing position, instead of one random gather into bitmask order). Only sizes
    that can hold a non-zero value are gathered (the window widens by one size per player
    folded). int32 stays int32 while the partial sums cannot overflow it.
    """
    lo, hi = sizes
    rows = values.shape[0]
    m = sum(len(classes[-1][1]) for classes in steps)
    out = np.zeros((rows, m), dtype=np.int64)
    j = m  # players 0..j-1 are left
    for classes in steps:
        width = len(classes[-1][1])  # the last class holds every player of the step
        j -= width
        if values.dtype == np.int32 and bound << width > np.iinfo(np.int32).max:
            values = values.astype(np.int64)
        off = _size_offsets(j)
        folded = np.empty((rows, 1 << j), dtype=values.dtype)
        for positions, members in classes:  # the first class holds none of them
            # subsets of players 0..j-1 of sizes lo - e .. hi - e may be non-zero in a class
            # of e players (slices of the size blocks)
            e = len(members)
            c0, c1 = off[min(max(lo - e, 0), j + 1)], off[max(min(hi - e, j), -1) + 1]
            if not members:
                folded[:, :c0] = 0
                folded[:, c1:] = 0
                # mode "clip" (positions are in range): "raise" copies through a buffer
                np.take(values, positions[c0:c1], axis=1, out=folded[:, c0:c1], mode="clip")
                continue
            part = values.take(positions[c0:c1], axis=1)
            total = part.sum(axis=1, dtype=np.int64)
            for player in members:
                out[:, player] += total
            folded[:, c0:c1] += part
        values = folded
        lo, hi = lo - width, min(hi, j)
        bound <<= width
    return out


class _Half:
    """The subsets of one half, sorted by (size, population); per-subset arrays sorted alike.

    With factors ``x`` (in the coalition) and ``y`` (out of it) each subset also carries the
    weight prod_{in} x * prod_{out} y, with cumulative sums for range queries.
    """

    def __init__(self, members: np.ndarray, pops: np.ndarray, shift: int,
                 x: np.ndarray | None = None, y: np.ndarray | None = None):
        self.members = members
        self.m = m = len(members)
        self.shift = shift
        (self.order, self.inverse, self.keys, self.sizes, self.pops,
         self.offsets) = _layout(tuple(int(v) for v in pops[members]), shift)
        if x is not None:  # this half's factors for being in / out of the coalition
            self.x, self.y = x[members], y[members]
            weights = np.ones(1)
            for j in range(m):
                weights = np.concatenate([weights * self.y[j], weights * self.x[j]])
            self.weights = weights[self.order]
            self.cum = np.concatenate([[0.0], np.cumsum(self.weights)])
            self.size_mass = np.bincount(self.sizes, weights=self.weights, minlength=m + 1)

    def unsort(self, values: np.ndarray) -> np.ndarray:
        """Per-subset values (first axis in sorted order) back in bitmask order."""
        return values.take(self.inverse, axis=0)

    def with_without(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each player r of the half: ``sum_a [r in a] w_r(a) values[a]`` and the same
        over ``r not in a``, where w_r(a) is the subset's weight without r's own factor.

        ``values`` is in bitmask order. Viewing it as shape (2^(m-1-r), 2, 2^r), the weight
        factorises into the players below r (``low``, the doubling enumeration of players
        0..r-1) and above r (``high``), so each player costs one pass over the array.
        """
        m = self.m
        low = [np.ones(1)]
        for j in range(m - 1):
            low.append(np.concatenate([low[-1] * self.y[j], low[-1] * self.x[j]]))
        high = [np.ones(1)] * m
        for r in range(m - 2, -1, -1):  # player r + 1 becomes the lowest bit above r
            high[r] = np.outer(high[r + 1], [self.y[r + 1], self.x[r + 1]]).ravel()
        out = np.array([np.einsum("hbl,h,l->b", values.reshape(len(high[r]), 2, len(low[r])),
                                  high[r], low[r]) for r in range(m)])
        return out[:, 1], out[:, 0]


def _search(target: _Half, query: _Half, ks: np.ndarray, ts: np.ndarray):
    """Ranges in ``target``'s sorted subsets completing query subsets to a winning coalition.

    Yields ``(r, start, stop, lo, hi)`` for each quota row r (coalition size ``ks[r]``,
    population quota ``ts[r]``): the query half's sorted subsets ``start:stop`` are those whose
    size can be completed to ``ks[r]`` (a contiguous block, since they are sorted by size), and
    for each of them the target subsets in sorted positions ``lo:hi`` are exactly those of the
    complementary size with enough population. Queries are issued in descending (size,
    population) order of the query half, which makes them ascending (cache-friendly for
    ``searchsorted``); only query sizes that can be completed are searched.
    """
    shift, m_t = target.shift, target.m
    for r, (k, t) in enumerate(zip(ks.tolist(), ts.tolist())):
        start = query.offsets[max(0, k - m_t)]
        stop = query.offsets[min(k, query.m) + 1]
        if start >= stop:
            continue
        q_sizes = query.sizes[start:stop][::-1]
        q_pops = query.pops[start:stop][::-1]
        k2 = k - q_sizes
        need = np.clip(t - q_pops, 0, shift - 1)
        lo = np.searchsorted(target.keys, k2 * shift + need)[::-1]
        hi = target.offsets[k2 + 1][::-1]
        yield r, start, stop, lo, hi


def _split(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(n // 2), np.arange(n // 2, n)


def _quota_rows(thresholds, kinds) -> tuple[np.ndarray, np.ndarray]:
    ks = np.flatnonzero(kinds == _QUOTA)
    ts = np.array([int(thresholds[k]) for k in ks], dtype=np.int64)
    return ks.astype(np.int64), ts


# --------------------------------------------------------------------------------------------
# counting: swings and power indices
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class SwingCounts:
    """Exact counts behind the power indices of a game.

    ``swings[i, k]`` is the number of coalitions ``S`` of size ``k`` not containing player ``i``
    such that ``S`` loses and ``S + i`` wins; ``winning[k]`` the number of winning coalitions of
    size ``k`` (both int64 arrays, exact).
    """

    states: tuple[str, ...]
    swings: np.ndarray
    winning: np.ndarray

    @property
    def total_swings(self) -> np.ndarray:
        return self.swings.sum(axis=1)

    @property
    def winning_coalitions(self) -> int:
        return int(sum(int(v) for v in self.winning))


def _completion_rows(A: _SortedHalf, B: _SortedHalf, ks: list[int], ts: list[int],
                     counts_a: np.ndarray, counts_b: np.ndarray) -> None:
    """Fill ``counts_a`` (rows, 2^m_A) and ``counts_b`` (rows, 2^m_B), int32 in sorted order:
    for quota row r and each subset of one half, how many subsets of the other half complete
    it to a winning coalition of size ``ks[r]``.

    Works block by block: for a row of size k, A's subsets of size s meet only B's subsets of
    size k - s, both sorted by population. The smaller block is searched into the larger
    (:func:`_meet`), which gives both blocks' counts. Every entry is written (the buffers are
    reused from row to row).
    """
    for r, (k, t) in enumerate(zip(ks, ts)):
        s_lo, s_hi = max(0, k - B.m), min(k, A.m)
        row_a, row_b = counts_a[r], counts_b[r]
        if s_lo > s_hi:
            row_a[:] = 0
            row_b[:] = 0
            continue
        row_a[:A.offsets[s_lo]] = 0
        row_a[A.offsets[s_hi + 1]:] = 0
        row_b[:B.offsets[k - s_hi]] = 0
        row_b[B.offsets[k - s_lo + 1]:] = 0
        for s in range(s_lo, s_hi + 1):
            a0, a1 = A.offsets[s], A.offsets[s + 1]
            b0, b1 = B.offsets[k - s], B.offsets[k - s + 1]
            if a1 - a0 <= b1 - b0:
                _meet(A.pops[a0:a1], B.pops[b0:b1], t, row_a[a0:a1], row_b[b0:b1])
            else:
                _meet(B.pops[b0:b1], A.pops[a0:a1], t, row_b[b0:b1], row_a[a0:a1])


def _meet(query: np.ndarray, target: np.ndarray, t: int, out_query: np.ndarray,
          out_target: np.ndarray) -> None:
    """For two ascending population blocks: how many ``target`` entries bring each ``query``
    entry to at least ``t``, and how many ``query`` entries each ``target`` entry does.

    The needs ``t - query`` are descending, so they are searched reversed (ascending queries
    are cache-friendly); target position q completes the query entries whose first
    completing position is at most q (a ``bincount`` and ``cumsum`` of the same positions,
    or, for a short query, each count repeated over its run of target positions).
    """
    if len(query) == 0 or len(target) == 0 or int(query[-1]) + int(target[-1]) < t:
        out_query[:] = 0  # no pair reaches t
        out_target[:] = 0
        return
    if int(query[0]) + int(target[0]) >= t:  # every pair does
        out_query[:] = len(target)
        out_target[:] = len(query)
        return
    lo = np.searchsorted(target, t - query[::-1])  # for the query entries in reverse
    np.subtract(len(target), lo[::-1], out=out_query, casting="unsafe")
    if 2 * len(query) < len(target):  # few steps: repeat each count over its run
        steps = np.empty(len(lo) + 1, dtype=lo.dtype)  # np.diff(lo, prepend=0, append=len)
        steps[0], steps[-1] = lo[0], len(target) - lo[-1]  # without its per-call overhead
        np.subtract(lo[1:], lo[:-1], out=steps[1:-1])
        out_target[:] = np.repeat(np.arange(len(query) + 1, dtype=np.int32), steps)
    else:  # int64 cumsum, then one cast (a cumsum written straight into int32 is slower)
        out_target[:] = np.cumsum(np.bincount(lo, minlength=len(target) + 1)[:len(target)])


def swing_counts(g: Game) -> SwingCounts:
    """Exact swing counts per player and coalition size, by meet-in-the-middle.

    Parameters
    ----------
    g : a :class:`model.treaty.game.Game` (thresholds non-increasing in the coalition size).

    Returns
    -------
    SwingCounts

    Examples
    --------
    >>> from model.treaty.game import Game
    >>> sc = swing_counts(Game("custom", ("A", "B", "C"), (3, 2, 1), (4, 4, 4, 4)))
    >>> sc.swings.tolist(), sc.winning.tolist()
    ([[0, 2, 1], [0, 1, 0], [0, 1, 0]], [0, 0, 2, 1])
    """
    pops, thresholds, total = _check_game(g)
    n = len(pops)
    kinds = _settled_kinds(_kinds(thresholds, total), thresholds, pops)
    shift = 1 << (total + 1).bit_length()
    w_in = np.zeros((n, n + 1), dtype=np.int64)   # winning coalitions of size k containing i
    w_out = np.zeros((n, n + 1), dtype=np.int64)  # winning coalitions of size k without i
    winning = np.zeros(n + 1, dtype=np.int64)
    for k in np.flatnonzero(kinds == _ZERO):
        winning[k] = math.comb(n, k)
        w_in[:, k] = math.comb(n - 1, k - 1) if k >= 1 else 0
        w_out[:, k] = math.comb(n - 1, k) if k <= n - 1 else 0
    ks, ts = _quota_rows(thresholds, kinds)
    if len(ks):
        a_idx, b_idx = _split(n)
        A, B = _SortedHalf(a_idx, pops, shift), _SortedHalf(b_idx, pops, shift)
        # rows a few at a time, so the count buffers stay small and are reused
        step = max(1, _ROW_BUDGET // max(1 << A.m, 1 << B.m))
        counts_a = np.empty((min(step, len(ks)), 1 << A.m), dtype=np.int32)
        counts_b = np.empty((min(step, len(ks)), 1 << B.m), dtype=np.int32)
        for r0 in range(0, len(ks), step):
            rows = ks[r0:r0 + step]
            ca, cb = counts_a[:len(rows)], counts_b[:len(rows)]
            _completion_rows(A, B, rows.tolist(), ts[r0:r0 + step].tolist(), ca, cb)
            totals = ca.sum(axis=1, dtype=np.int64)
            if not np.array_equal(totals, cb.sum(axis=1, dtype=np.int64)):
                raise AssertionError("meet-in-the-middle counts disagree")  # pragma: no cover
            for half, counts, other in ((A, ca, B), (B, cb, A)):
                # (m, rows): winning coalitions of each quota size containing each player;
                # a half's subsets of size s only complete to k with k - s <= other.m
                sizes = (max(0, int(rows[0]) - other.m), min(int(rows[-1]), half.m))
                w_in[np.ix_(half.members, rows)] = _member_sums(counts, half.steps,
                                                                1 << other.m, sizes).T
            winning[rows] = totals
        w_out[:, ks] = winning[ks][None, :] - w_in[:, ks]
    swings = w_in[:, 1:] - w_out[:, :-1]
    return SwingCounts(tuple(g.states), swings, winning)


@lru_cache(maxsize=64)
def _shapley_weights(n: int) -> tuple[tuple[int, ...], int]:
    fact = [math.factorial(i) for i in range(n + 1)]
    return tuple(fact[k] * fact[n - 1 - k] for k in range(n)), fact[n]


def _ratio(num: int, den: int) -> float:
    return num / den if den else math.nan


def power_of_game(g: Game) -> pd.DataFrame:
    """All power indices of any :class:`model.treaty.game.Game`, computed exactly.

    Parameters
    ----------
    g : the game (states, integer populations, thresholds by coalition size).

    Returns
    -------
    pandas.DataFrame
        Indexed by state code (index name ``iso2``) with columns ``banzhaf_absolute``
        (Penrose: swings / 2^(n-1)), ``banzhaf_normalised`` (swings / sum of swings),
        ``shapley_shubik``, ``coleman_prevent`` (swings / winning coalitions) and
        ``coleman_initiate`` (swings / losing coalitions). ``attrs`` holds
        ``winning_coalitions`` (int), ``coleman_collectivity`` (winning / 2^n) and ``rule``.
        Undefined ratios (e.g. no losing coalition) are NaN.

    Examples
    --------
    >>> from model.treaty.game import Game
    >>> df = power_of_game(Game("simple", ("A", "B", "C"), (5, 1, 1), (8, 8, 0, 0)))
    >>> df["shapley_shubik"].tolist(), df.attrs["winning_coalitions"]
    ([0.3333333333333333, 0.3333333333333333, 0.3333333333333333], 4)
    """
    import pandas as pd

    sc = swing_counts(g)
    n = len(sc.states)
    swings = [int(v) for v in sc.total_swings]
    all_swings = sum(swings)
    winning = sc.winning_coalitions
    losing = (1 << n) - winning
    weights, n_fact = _shapley_weights(n)
    shapley = [sum(int(s) * wk for s, wk in zip(row, weights)) / n_fact for row in sc.swings]
    half = 1 << (n - 1)
    frame = pd.DataFrame(
        {
            "banzhaf_absolute": [s / half for s in swings],
            "banzhaf_normalised": [_ratio(s, all_swings) for s in swings],
            "shapley_shubik": shapley,
            "coleman_prevent": [_ratio(s, winning) for s in swings],
            "coleman_initiate": [_ratio(s, losing) for s in swings],
        },
        index=pd.Index(list(sc.states), name="iso2"),
    )
    frame.attrs["rule"] = g.rule
    frame.attrs["winning_coalitions"] = winning
    frame.attrs["coleman_collectivity"] = winning / (1 << n)
    return frame


# --------------------------------------------------------------------------------------------
# probability mass: passage probability and criticality
# --------------------------------------------------------------------------------------------

def win_mass(g: Game, x: np.ndarray, y: np.ndarray, per_player: bool):
    """Weighted mass of the winning coalitions, ``sum_S prod_{S} x prod_{N-S} y [S wins]``.

    With ``per_player`` also, for every player i, the masses over S in N - i (player i's own
    factor left out) of ``[S + i wins]`` and of ``[S wins]``.
    """
    pops, thresholds, total = _check_game(g)
    n = len(pops)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    kinds = _kinds(thresholds, total)
    shift = 1 << (total + 1).bit_length()
    ks, ts = _quota_rows(thresholds, kinds)
    zero_ks = np.flatnonzero(kinds == _ZERO)
    a_idx, b_idx = _split(n)
    A, B = _Half(a_idx, pops, shift, x, y), _Half(b_idx, pops, shift, x, y)

    # win_b[a]: mass of the B subsets completing A's sorted subset a to a winning coalition;
    # win_a[b]: mass of the A subsets completing B's sorted subset b (same searches, read
    # from B's side with weighted interval counting)
    n_b = len(B.sizes)
    win_b = np.zeros(len(A.sizes))
    win_a = np.zeros(n_b) if per_player else None
    for _, start, stop, lo, hi in _search(B, A, ks, ts):
        win_b[start:stop] += B.cum[hi] - B.cum[lo]
        if per_player:
            weights = A.weights[start:stop]
            edges = (np.bincount(lo, weights=weights, minlength=n_b + 1)
                     - np.bincount(hi, weights=weights, minlength=n_b + 1))
            win_a += np.cumsum(edges[:n_b])
    for k in zero_ks:  # every coalition of size k wins: mass by subset size of the other half
        k2 = k - A.sizes
        ok = (k2 >= 0) & (k2 <= B.m)
        win_b[ok] += B.size_mass[k2[ok]]
        if per_player:
            k2 = k - B.sizes
            ok = (k2 >= 0) & (k2 <= A.m)
            win_a[ok] += A.size_mass[k2[ok]]
    total_mass = float(A.weights @ win_b)
    if not per_player:
        return total_mass, None, None
    with_i = np.zeros(n)
    without_i = np.zeros(n)
    for half, win_other in ((A, win_b), (B, win_a)):
        if half.m == 0:
            continue
        with_i[half.members], without_i[half.members] = half.with_without(
            half.unsort(win_other))
    return total_mass, with_i, without_i


def exclusive(g: Game) -> bool:
    """True if two disjoint coalitions can never both win (then QMV for and against exclude)."""
    total = sum(g.populations)
    t = [int(v) for v in g.thresholds]
    n = len(g.states)
    for kf in range(n + 1):
        if t[kf] > total:
            continue
        for ka in range(n - kf + 1):
            if t[ka] <= total and max(t[kf], 0) + max(t[ka], 0) <= total:
                return False
    return True


@dataclass(frozen=True, eq=False)
class PassageResult:
    """Exact outcome probabilities of one vote with independent states.

    ``criticality`` is the probability that the state's vote decides the outcome (for
    comitology: whether the act is blocked); ``criticality_adopt`` the same for adoption (a
    positive opinion under comitology; otherwise the same Series). Both are None when not
    requested. ``p_blocked`` and ``p_no_opinion`` are only set for rules with a third outcome
    (comitology: a qualified majority against, or neither).
    """

    rule: str
    p_adopted: float
    p_blocked: float | None = None
    p_no_opinion: float | None = None
    criticality: pd.Series | None = None
    criticality_adopt: pd.Series | None = None

    def to_dict(self) -> dict:
        """JSON-ready dict: rule, p_adopted, [p_blocked, p_no_opinion,] states (a list of
        {iso2, criticality}; left out when criticality was not computed)."""
        out: dict = {"rule": self.rule, "p_adopted": float(self.p_adopted)}
        if self.p_blocked is not None:
            out["p_blocked"] = float(self.p_blocked)
            out["p_no_opinion"] = float(self.p_no_opinion)
        if self.criticality is not None:
            out["states"] = [{"iso2": str(code), "criticality": float(value)}
                             for code, value in self.criticality.items()]
        return out


def leave_one_out_products(values: np.ndarray) -> np.ndarray:
    """prod_{j != i} values[j] for every i, without dividing (values may be 0).

    >>> leave_one_out_products(np.array([2.0, 0.0, 3.0])).tolist()
    [0.0, 6.0, 0.0]
    """
    n = len(values)
    prefix = np.concatenate([[1.0], np.cumprod(values)[:-1]]) if n else np.ones(0)
    suffix = np.concatenate([np.cumprod(values[::-1])[::-1][1:], [1.0]]) if n else np.ones(0)
    return prefix * suffix
