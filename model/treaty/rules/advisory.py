"""The advisory procedure of comitology (Reg. (EU) 182/2011 Art. 4).

If the committee takes a vote, its opinion is delivered by a simple majority of its component
members: a majority in favour is a ``favourable_opinion``, anything else is
``no_favourable_opinion``. The Commission then decides "taking the utmost account" of the
opinion, so the measure is adopted in the end either way (as the provisional solar duties of
June 2013 were, against a majority of member states); what the vote decides is the opinion.

>>> import numpy as np
>>> from model.treaty.rules import get_rule
>>> from model.treaty.positions import FOR, AGAINST, ABSTAIN
>>> rule = get_rule("advisory")
>>> codes = np.array([[FOR] * 4 + [AGAINST] * 18 + [ABSTAIN] * 5])
>>> [rule.outcomes[i] for i in rule.evaluate(codes, np.ones(27, dtype=int))], rule.adopted([1])
(['no_favourable_opinion'], array([ True]))
"""

from __future__ import annotations

from .simple import Simple

__all__ = ["Advisory"]


class Advisory(Simple):
    """Advisory committee: a simple majority of members for a favourable opinion."""

    name = "advisory"
    title = "comitology, advisory procedure"
    source = "Reg. (EU) 182/2011 Art. 4(1)"
    outcomes = ("favourable_opinion", "no_favourable_opinion")
    adopting = ("favourable_opinion", "no_favourable_opinion")
    adoption_note = ("advisory procedure: the Commission decides after taking the utmost account "
                     "of the opinion, so the measure is adopted either way; the vote decides "
                     "whether the opinion is favourable")
