"""The one position type: how a member state can stand in a vote, in one canonical order.

``FOR``, ``ABSTAIN`` and ``AGAINST`` are the choices a government makes, ordered by support
(the order of every probability array in the package: for, abstain, against). ``ABSENT`` is a
state not taking part (thresholds are re-based on the participants, Art. 238(3) TFEU) and
``CONSTRUCTIVE`` a formally declared abstention under Art. 31(1) TEU (outside unanimity it
counts as an abstention). The integer values are the codes of vote arrays.

>>> Position.parse("abstain"), int(Position.AGAINST), Position.AGAINST.word
(<Position.ABSTAIN: 1>, 2, 'against')
>>> [p.word for p in CHOICES]
['for', 'abstain', 'against']
"""

from __future__ import annotations

from enum import IntEnum

from ..errors import InputError

__all__ = ["Position", "CHOICES", "WORDS", "FOR", "ABSTAIN", "AGAINST", "ABSENT", "CONSTRUCTIVE"]


class Position(IntEnum):
    """A state's position in one vote; the value is its code in vote arrays."""

    FOR = 0
    ABSTAIN = 1
    AGAINST = 2
    ABSENT = 3
    CONSTRUCTIVE = 4

    @property
    def word(self) -> str:
        """The position as written in files and on the command line ('for', 'abstain', ...)."""
        return self.name.lower()

    @classmethod
    def parse(cls, word: object, *, field: str = "position") -> Position:
        """The position named by ``word`` (case-insensitive), or an InputError naming the valid
        words."""
        if isinstance(word, Position):
            return word
        text = str(word).strip().lower()
        for p in cls:
            if p.word == text:
                return p
        raise InputError(f"unknown position '{word}' (expected one of {', '.join(WORDS)})",
                         field=field)


FOR, ABSTAIN, AGAINST, ABSENT, CONSTRUCTIVE = (Position.FOR, Position.ABSTAIN, Position.AGAINST,
                                               Position.ABSENT, Position.CONSTRUCTIVE)
#: The positions a government chooses between, in the order of probability arrays.
CHOICES: tuple[Position, ...] = (FOR, ABSTAIN, AGAINST)
#: Every position word, in canonical order.
WORDS: tuple[str, ...] = tuple(p.word for p in Position)
