"""numpy's seeding of a PCG64 generator from ``SeedSequence(seed, spawn_key=key)``, for many
keys at once and to the bit.

A run's parameter draws take one normal each from a generator keyed by the seed, the block of
replications and the parameter (:func:`model.abm.uncertainty.block_normals`): 960 generators
for a chunk of 10,000 replications with 24 drawn parameters. Built one by one, numpy's
``SeedSequence`` and ``PCG64`` cost about 30 us each - a tenth of the chunk's time. The same
arithmetic (numpy's documented SeedSequence hash, NEP 19, and PCG64's seeding step) done on
arrays of keys gives the same generator states; one generator is then set to each state in turn.
The tests compare every state with numpy's own.

>>> import numpy as np
>>> (state, inc), = pcg64_states(7, np.array([[3, 1000, 42]]))
>>> numpy_s = np.random.PCG64(np.random.SeedSequence(7, spawn_key=(3, 1000, 42))).state["state"]
>>> (state, inc) == (numpy_s["state"], numpy_s["inc"])
True
"""

from __future__ import annotations

import operator

import numpy as np

__all__ = ["pcg64_states", "first_normals"]

_MASK32 = 0xFFFFFFFF
_MASK128 = (1 << 128) - 1
_POOL = 4                                   # numpy's DEFAULT_POOL_SIZE
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875   # SeedSequence's hash constants
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645  # PCG64's 128-bit LCG multiplier


def _words(value: int) -> list[int]:
    """An integer's little-endian 32-bit words, as SeedSequence reads it (0 is one word)."""
    if value < 0:
        raise ValueError("seeds and spawn keys must be non-negative")
    out = [value & _MASK32]
    value >>= 32
    while value:
        out.append(value & _MASK32)
        value >>= 32
    return out


class _Hash:
    """SeedSequence's multiplicative hash: its constant moves on at every use, whatever the
    data, so it is a plain integer beside the arrays of words."""

    def __init__(self, init: int, mult: int) -> None:
        self.const, self.mult = init, mult

    def __call__(self, value: np.ndarray) -> np.ndarray:
        value = value ^ np.uint32(self.const)
        self.const = (self.const * self.mult) & _MASK32
        value = value * np.uint32(self.const)
        return value ^ (value >> np.uint32(16))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = np.uint32(_MIX_L) * x - np.uint32(_MIX_R) * y
    return result ^ (result >> np.uint32(16))


def _pools(entropy: np.ndarray) -> list[np.ndarray]:
    """SeedSequence's entropy pool (4 words) for each row of ``entropy`` (m, words)."""
    hashmix = _Hash(_INIT_A, _MULT_A)
    width = entropy.shape[1]
    zero = np.zeros(len(entropy), dtype=np.uint32)
    pool = [hashmix(entropy[:, i] if i < width else zero) for i in range(_POOL)]
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = _mix(pool[dst], hashmix(pool[src]))
    for src in range(_POOL, width):
        for dst in range(_POOL):
            pool[dst] = _mix(pool[dst], hashmix(entropy[:, src]))
    return pool


def pcg64_states(seed: int, keys: np.ndarray) -> list[tuple[int, int]]:
    """``(state, inc)`` of ``PCG64(SeedSequence(seed, spawn_key=tuple(k)))`` for each row k of
    ``keys`` (m, j), non-negative integers below 2**32 (as ``PCG64.state`` reports them)."""
    keys = np.asarray(keys)
    if keys.size and not np.issubdtype(keys.dtype, np.integer):
        raise TypeError("spawn keys must be integers")      # as numpy's SeedSequence refuses
    keys = keys.astype(np.int64)
    if keys.ndim != 2 or (keys.size and (keys.min() < 0 or keys.max() > _MASK32)):
        raise ValueError("spawn keys must be rows of integers in [0, 2**32)")
    run = _words(operator.index(seed))
    if keys.shape[1]:                          # padded to the pool size before a spawn key
        run += [0] * (_POOL - len(run))
    entropy = np.empty((len(keys), len(run) + keys.shape[1]), dtype=np.uint32)
    entropy[:, :len(run)] = np.array(run, dtype=np.uint32)
    entropy[:, len(run):] = keys.astype(np.uint32)
    pool = _pools(entropy)
    hashmix = _Hash(_INIT_B, _MULT_B)          # generate_state(4, np.uint64): 8 words
    words = [hashmix(pool[i % _POOL]).astype(np.uint64) for i in range(8)]
    u64 = [(words[2 * i] | (words[2 * i + 1] << np.uint64(32))).tolist() for i in range(4)]
    out = []
    for s_hi, s_lo, i_hi, i_lo in zip(*u64):   # PCG64's seeding: two LCG steps from 0
        inc = ((((i_hi << 64) | i_lo) << 1) | 1) & _MASK128
        state = (inc + ((s_hi << 64) | s_lo)) & _MASK128
        out.append(((state * _PCG_MULT + inc) & _MASK128, inc))
    return out


def first_normals(seed: int, keys: np.ndarray) -> np.ndarray:
    """``np.random.default_rng(SeedSequence(seed, spawn_key=tuple(k))).standard_normal()`` for
    each row k of ``keys``, to the bit, without building a generator per key."""
    bits = np.random.PCG64(0)
    rng = np.random.Generator(bits)
    out = np.empty(len(keys))
    for i, (state, inc) in enumerate(pcg64_states(seed, keys)):
        bits.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": inc},
                      "has_uint32": 0, "uinteger": 0}
        out[i] = rng.standard_normal()
    return out
