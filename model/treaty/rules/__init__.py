"""The registry of voting rules: one small class per rule, each in its own file.

A new rule is a subclass of :class:`~model.treaty.rules.base.Rule` in a file of this package
plus its line in :data:`RULES`; the shared invariant tests (tests/treaty/test_rule_invariants.py)
then check it like every other rule.

>>> sorted(RULES)
['advisory', 'comitology', 'council_rejection', 'qmv', 'rqmv', 'simple', 'unanimity']
>>> get_rule("qmv").title
'qualified majority'
"""

from __future__ import annotations

from ...errors import InputError
from .advisory import Advisory
from .base import Camps, Probabilities, Rule
from .comitology import Comitology
from .council_rejection import CouncilRejection
from .qmv import Qmv
from .rqmv import Rqmv
from .simple import Simple
from .unanimity import Unanimity

__all__ = ["RULES", "RULE_NAMES", "Rule", "Camps", "Probabilities", "get_rule"]

RULES: dict[str, Rule] = {r.name: r for r in (Qmv(), Rqmv(), Unanimity(), Simple(), Comitology(),
                                               Advisory(), CouncilRejection())}
RULE_NAMES: tuple[str, ...] = tuple(RULES)


def get_rule(name: str | Rule, *, field: str = "rule") -> Rule:
    """The registered rule called ``name``, or an InputError naming the valid ones."""
    if isinstance(name, Rule):
        return name
    try:
        return RULES[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown rule '{name}' (expected one of {', '.join(RULES)})",
                         field=field) from None
