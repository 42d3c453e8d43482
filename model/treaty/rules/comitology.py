"""The examination procedure of comitology (Reg. (EU) 182/2011 Art. 5), as for trade defence.

The committee votes by qualified majority (Art. 16(4)-(5) TEU, Art. 238(3) TFEU): a qualified
majority in favour is a positive opinion (``adopted``), a qualified majority against a negative
opinion (``blocked``) and neither is ``no_opinion``, after which the Commission may adopt the
act. So the measure is adopted in the end unless a qualified majority votes *against*; an
abstention, which counts as a no in Council QMV, here helps the Commission. Art. 5(5): for
definitive anti-dumping or countervailing measures, no opinion with a simple majority of the
component members against sends the draft to consultations or the appeal committee
(``appeal_committee`` flag).

>>> import numpy as np
>>> from model.treaty.rules import get_rule
>>> from model.treaty.positions import FOR, AGAINST, ABSTAIN
>>> rule = get_rule("comitology")
>>> codes = np.array([[FOR] * 10 + [AGAINST] * 5 + [ABSTAIN] * 12])
>>> [rule.outcomes[i] for i in rule.evaluate(codes, np.ones(27, dtype=int))], rule.adopted([2])
(['no_opinion'], array([ True]))
"""

from __future__ import annotations

import numpy as np

from ..engine import PassageResult, exclusive, win_mass
from ..game import Game
from ..positions import AGAINST, FOR
from .base import Camps, Probabilities, _series, _unit
from .qmv import Qmv, qmv_margin

__all__ = ["Comitology"]

_F, _A, _O = 0, 1, 2          # local codes of the enumeration: for, against, other


class Comitology(Qmv):
    """Examination procedure: adopted unless a qualified majority votes against."""

    name = "comitology"
    title = "comitology, examination procedure"
    source = "Reg. (EU) 182/2011 Art. 5; Art. 16(4)-(5) TEU; Art. 238(3) TFEU"
    outcomes = ("adopted", "blocked", "no_opinion")
    adopting = ("adopted", "no_opinion")
    blocking_positions = (AGAINST,)
    stopped_by_quota_against = True
    adoption_note = ("comitology: the act is adopted unless a qualified majority votes against "
                     "(positive opinion or no opinion)")

    def _camp_wins(self, camps: Camps, position) -> np.ndarray:
        t = np.array(self.thresholds(camps.participating_pops, camps.full_council),
                     dtype=np.int64)
        return camps.pop(position) >= t[camps.n(position)]

    def outcome_index(self, camps):
        adopted, blocked = self._camp_wins(camps, FOR), self._camp_wins(camps, AGAINST)
        return np.where(adopted, 0, np.where(blocked, 1, 2))

    def flags(self, camps):
        no_opinion = bool(self.outcome_index(camps)[0] == 2)
        return {"appeal_committee": no_opinion and 2 * int(camps.n(AGAINST)[0]) > camps.n_part}

    def margins(self, camps):
        out = super().margins(camps)
        out["block"] = qmv_margin(int(camps.n(AGAINST)[0]), int(camps.pop(AGAINST)[0]), camps,
                                  self.member_pct, self.floor(camps.full_council))
        return out

    def passage(self, g: Game, probs: Probabilities, criticality: bool) -> PassageResult:
        """P(positive opinion), P(blocked) and P(no opinion); criticality is the probability
        that a state's switch between against and abstaining decides whether the act is
        blocked, ``criticality_adopt`` the same for the positive opinion."""
        pf, pa = probs.p_for, probs.p_against
        if not exclusive(g):
            p_ad, p_bl, crit, crit_ad = _enumerated(g, pf, pa, criticality)
        else:
            p_ad, w_f, wo_f = win_mass(g, pf, 1.0 - pf, criticality)
            p_bl, w_a, wo_a = win_mass(g, pa, 1.0 - pa, criticality)
            crit = None if not criticality else w_a - wo_a
            crit_ad = None if not criticality else w_f - wo_f
        p_ad, p_bl = _unit(p_ad), _unit(p_bl)
        return PassageResult(
            self.name, p_ad, p_bl, max(0.0, 1.0 - p_ad - p_bl),
            None if crit is None else _series(g, crit),
            None if crit_ad is None else _series(g, crit_ad, "criticality_adopt"))

    def p_adopted_in_the_end(self, result: PassageResult) -> float:
        return 1.0 - result.p_blocked

    def outcome_probabilities(self, result: PassageResult) -> dict[str, float]:
        return {"adopted": result.p_adopted, "blocked": result.p_blocked,
                "no_opinion": result.p_no_opinion}


def _enumerated(g: Game, pf: np.ndarray, pa: np.ndarray, criticality: bool):
    """Direct enumeration for the tiny games (<= 6 states) where QMV for and against can
    both be reached; the outcome is then ``adopted`` (the rules give it precedence)."""
    n = len(g.states)
    if n > 12:  # pragma: no cover - impossible for the Treaty rules (needs n <= 6)
        raise RuntimeError("non-exclusive comitology game too large to enumerate")
    pops = np.array(g.populations, dtype=np.int64)
    t = np.array([min(int(v), g.never) for v in g.thresholds], dtype=np.int64)
    po = np.clip(1.0 - pf - pa, 0.0, 1.0)

    def evaluate(codes: np.ndarray, p_f, p_a, p_o):
        weights = np.prod(np.where(codes == _F, p_f, np.where(codes == _A, p_a, p_o)), axis=1)
        f, a = codes == _F, codes == _A
        f_wins = (f @ pops) >= t[f.sum(axis=1)]
        a_wins = (a @ pops) >= t[a.sum(axis=1)]
        return weights, f_wins, a_wins

    def profiles(k: int) -> np.ndarray:  # every vote profile of k states
        return (np.arange(3**k, dtype=np.int64)[:, None] // 3 ** np.arange(k)) % 3

    weights, f_wins, a_wins = evaluate(profiles(n), pf, pa, po)
    p_adopted = float(weights @ f_wins)
    p_blocked = float(weights @ (a_wins & ~f_wins))
    crit = crit_adopt = None
    if criticality:
        crit, crit_adopt = np.zeros(n), np.zeros(n)
        for i in range(n):
            rest = np.delete(np.arange(n), i)
            others = profiles(n - 1)
            own = np.arange(n) == i
            variants = {}
            for code in (_F, _A, _O):
                full = np.empty((len(others), n), dtype=np.int64)
                full[:, rest] = others
                full[:, i] = code
                w, fw, aw = evaluate(full, np.where(own, 1.0, pf), np.where(own, 1.0, pa),
                                     np.where(own, 1.0, po))
                variants[code] = (w, fw, aw & ~fw)
            w = variants[_F][0]
            crit_adopt[i] = float(w @ (variants[_F][1] != variants[_O][1]))
            crit[i] = float(w @ (variants[_A][2] != variants[_O][2]))
    return p_adopted, p_blocked, crit, crit_adopt
