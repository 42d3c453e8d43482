"""The EU-side levers the Commission can pull: a registry of small, sourced classes.

Each lever is a class whose docstring says what it does and where the idea comes from, with one
method, :meth:`Lever.apply`, that changes the model in the one way it describes. Its strength
(a fraction in [0, 1]) comes from params/eu_levers.toml, with its lag (rounds from the
Commission's decision to the effect: the CRMA's stockpiles take years) and its origin.
:data:`LEVERS` is the registry the command line lists; a lever in the parameter file without a
class here is an error, and the shared invariant test (tests/abm/test_levers.py) fails for a
lever that changes nothing a run can measure once it acts.

>>> sorted(LEVERS)
['aci_in_force', 'crma_stockpile', 'narrower_scope', 'price_undertakings',
 'solidarity_compensation']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ..errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from .model import CouncilModel

__all__ = ["Lever", "LEVERS", "get_lever"]


class Lever:
    """Base class: a named EU-side lever with one effect on the model."""

    name: ClassVar[str]
    #: One line saying what the lever changes, for listings and briefings.
    effect: ClassVar[str]

    def apply(self, model: CouncilModel, strength: float) -> None:
        """Change ``model`` as this lever does, at ``strength`` in [0, 1]."""
        raise NotImplementedError  # pragma: no cover - every registered lever overrides it


class PriceUndertakings(Lever):
    """Price undertakings: accept minimum-price commitments from some exporters instead of
    duties, which softens a trade-defence measure's cost to the states that fear retaliation.

    Source: Regulation (EU) 2016/1037 Art. 13 (undertakings); the EV-duty undertaking talks with
    China of 2024-25 and the first accepted BEV undertaking (Implementing Reg. (EU) 2026/330).
    """

    name = "price_undertakings"
    effect = "negative stakes of a trade-defence measure x (1 - strength)"

    def apply(self, model, strength):
        if model.measure.trade_defence:
            model.stake_scale_negative *= 1.0 - strength


class NarrowerScope(Lever):
    """Narrower scope: the Commission narrows the draft in committee, which shrinks every
    stake of the measure, gains and losses alike.

    Source: Commission practice of amending a draft before the committee votes
    (Reg. (EU) 182/2011 Art. 3(4)).
    """

    name = "narrower_scope"
    effect = "every stake of the measure x (1 - strength)"

    def apply(self, model, strength):
        model.stake_scale_all *= 1.0 - strength


class SolidarityCompensation(Lever):
    """Solidarity compensation: the EU compensates a member for China's retaliation, which
    offsets part of the stick pressure on the states China targets.

    Source: a modelling assumption; no EU instrument of this kind exists and the policy paper
    does not propose one.
    """

    name = "solidarity_compensation"
    effect = "stick pressure on targeted states x (1 - strength)"

    def apply(self, model, strength):
        model.compensation = 1.0 - (1.0 - model.compensation) * (1.0 - strength)


class CrmaStockpile(Lever):
    """Critical Raw Materials Act stockpiles and diversification: rare-earth reserves and new
    sources, which shrink every state's exposure to magnet licensing.

    Source: Regulation (EU) 2024/1252 (Critical Raw Materials Act); the policy paper's "Rare
    earths as a weapon" names diversifying supply, building reserves and recycling as the EU's
    response.
    """

    name = "crma_stockpile"
    effect = "magnet exposure x (1 - strength)"

    def apply(self, model, strength):
        model.scale_channel("magnets", 1.0 - strength)


class AciInForce(Lever):
    """The Anti-Coercion Instrument in force: a credible EU response deters coercion, which
    lowers the credibility of China's threats.

    Source: Regulation (EU) 2023/2675 (Anti-Coercion Instrument), recitals on deterrence.
    """

    name = "aci_in_force"
    effect = "credibility of China's sticks x (1 - strength)"

    def apply(self, model, strength):
        model.stick_credibility *= 1.0 - strength


LEVERS: dict[str, Lever] = {cls.name: cls() for cls in (
    PriceUndertakings, NarrowerScope, SolidarityCompensation, CrmaStockpile, AciInForce)}


def get_lever(name: str) -> Lever:
    """The registered lever called ``name``, or an InputError naming the valid ones."""
    if name not in LEVERS:
        raise InputError(f"unknown lever '{name}' (expected one of {', '.join(LEVERS)})",
                         field="commission.options")
    return LEVERS[name]
