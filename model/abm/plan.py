"""The plan of a run: what China and the Commission decide, round by round.

Both decide on the *expected* track (vote probabilities without per-replication noise), so
their decisions do not depend on how many replications run or how they are split into chunks.
The first chunk of a run records them; every later chunk replays them instead of planning
again (China's exact criticality and cheapest blocking coalition, the Commission's exact
adoption probability). Landing an instrument - who believes a threat in which replication - is still
drawn in every chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .strategies import Allocation

__all__ = ["Plan"]


@dataclass
class Plan:
    """China's allocations and the levers the Commission pulled, by round."""

    allocations: dict[int, list[Allocation]] = field(default_factory=dict)
    levers: dict[int, list[str]] = field(default_factory=dict)
    complete: bool = False     # set once a whole chunk has recorded every round

    def china(self, round_: int, decide) -> list[Allocation]:
        """The allocations of ``round_``: replayed, or decided by ``decide()`` and recorded."""
        if self.complete:
            return self.allocations.get(round_, [])
        chosen = list(decide())
        self.allocations[round_] = chosen
        return chosen

    def commission(self, round_: int, decide) -> list[str] | None:
        """The levers pulled in ``round_`` (None: the Commission did not look this round)."""
        if self.complete:
            return self.levers.get(round_)
        pulled = decide()
        if pulled is not None:
            self.levers[round_] = pulled
        return pulled
