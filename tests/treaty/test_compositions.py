"""The Council as it was on a day, and hypothetical enlargements: members, populations and the
Treaty thresholds for any size."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model import api
from model.errors import InputError
from model.inputs.council import EU27, composition, population_table
from model.treaty.game import member_quota
from model.treaty.rules import get_rule


@pytest.mark.parametrize("day, name, n", [
    ("2012-05-01", "eu27_uk", 27), ("2013-06-30", "eu27_uk", 27), ("2013-07-01", "eu28", 28),
    ("2020-01-31", "eu28", 28), ("2020-02-01", "eu27", 27), ("2026-12-01", "eu27", 27)])
def test_the_council_on_a_day(day, name, n):
    comp = composition(day)
    assert comp.name == name and len(comp.members) == n
    assert ("GB" in comp.members) == (day < "2020-02-01")
    assert ("HR" in comp.members) == (day >= "2013-07-01")


def _largest_first(pops: dict[str, int]) -> list[str]:
    return sorted(pops, key=lambda s: (-pops[s], s))


def _members_with_share(pops: dict[str, int], k: int, low: float, high: float) -> list[str]:
    """k members whose population share lies in [low, high] (a seeded search)."""
    states = sorted(pops)
    w = np.array([pops[s] for s in states], dtype=float) / sum(pops.values())
    rng = np.random.default_rng(0)
    for _ in range(100_000):
        pick = rng.choice(len(states), size=k, replace=False)
        if low <= w[pick].sum() <= high:
            return [states[i] for i in sorted(pick)]
    raise AssertionError("no such coalition found")


def test_eu28_qmv_needs_16_members_and_65_percent():
    pops = composition("eu28").populations()
    assert len(pops) == 28 and "GB" in pops
    assert member_quota(28, 55) == 16
    total = sum(pops.values())
    fifteen = _largest_first(pops)[:15]
    assert sum(pops[s] for s in fifteen) / total >= 0.70          # population is there...
    out = api.vote("qmv", {s: "for" for s in fifteen}, others="against", composition="eu28")
    assert out.outcome == "not_adopted"                           # ...but 15 of 28 is too few
    assert out.margins["adopt"]["states_missing"] == 1
    sixteen = _members_with_share(pops, 16, 0.65, 0.70)
    out = api.vote("qmv", {s: "for" for s in sixteen}, others="against", composition="eu28")
    assert out.outcome == "adopted"
    # the same sixteen in today's EU27 table would not even parse: GB is no member now
    with pytest.raises(InputError, match="not a member"):
        api.vote("qmv", {"GB": "for"})


def test_eu27_with_the_uk_before_croatia_has_no_croatia():
    with pytest.raises(InputError, match=r"Croatia \(HR\) is not a member"):
        api.vote("qmv", {"HR": "for"}, composition="2013-05-24")


def _treaty_wins(members: np.ndarray, pops: np.ndarray, full_council: bool) -> np.ndarray:
    """Winning coalitions straight from Art. 16(4) TEU and Art. 238(3)(a) TFEU, written
    independently of the engine: 55% of the members (and at least 15 of a full Council) with
    65% of the population, or a rest too small to be a blocking minority (fewer than 4 members
    of a full Council; of a partial one, fewer than the smallest number of members holding
    more than 35% of the participants' population, plus one)."""
    m = members.shape[1]
    count = members.sum(axis=1)
    pop = members @ pops
    total = int(pops.sum())
    quota = math.ceil(0.55 * m - 1e-12)
    if full_council:
        quota = max(quota, 15)
    majority = (count >= quota) & (100 * pop >= 65 * total)
    rest_count, rest_pop = m - count, total - pop
    if full_council:
        cannot_block = rest_count < 4
    else:
        running = np.cumsum(np.sort(pops)[::-1])
        k_min = int(np.argmax(100 * running > 35 * total)) + 1
        cannot_block = rest_count < k_min + 1
    del rest_pop
    return majority | cannot_block


def test_enlargement35_thresholds_follow_the_treaty():
    comp = composition("enlargement35")
    assert len(comp.members) == 35 and set(EU27) < set(comp.members)
    pops = comp.populations()
    assert pops["UA"] > 0 and pops["XK"] > 0
    g = get_rule("qmv").game(pops)
    assert member_quota(35, 55) == 20
    assert g.thresholds[19] == g.never               # 19 of 35 never suffices
    total = sum(pops.values())
    # 20 members need 65% of the population; a coalition leaving out only three is a
    # qualified majority whatever its population (no blocking minority of three)
    assert g.thresholds[20] == math.ceil(0.65 * total)
    assert g.thresholds[32] == 0


def test_enlargement35_power_matches_brute_force_on_a_20_member_sub_game():
    comp = composition("enlargement35")
    pops = comp.populations()
    taking_part = sorted(pops)[:20]                     # 20 of the 35 take part
    assert {"AL", "BA"} <= set(taking_part)
    frame = api.power_indices("qmv", participating=taking_part, composition="enlargement35")
    n = len(taking_part)
    masks = np.arange(1 << n)
    bits = ((masks[:, None] >> np.arange(n)) & 1).astype(np.int64)
    w = np.array([pops[s] for s in taking_part], dtype=np.int64)
    wins = _treaty_wins(bits, w, full_council=False)
    assert int(frame.attrs["winning_coalitions"]) == int(wins.sum())
    for i, iso in enumerate(taking_part):
        without = masks[bits[:, i] == 0]
        swings = int(np.sum(wins[without | (1 << i)] & ~wins[without]))
        assert frame.loc[iso, "banzhaf_absolute"] == pytest.approx(swings / 2 ** (n - 1),
                                                                   abs=1e-12)


def test_a_users_table_of_any_size_is_a_hypothetical_council(tmp_path):
    table = tmp_path / "council.csv"
    table.write_text("iso2,population\n" + "".join(f"{s},{1000 + i}\n"
                                                   for i, s in enumerate(EU27[:20])))
    comp = composition(str(table))
    assert comp.hypothetical and len(comp.members) == 20
    frame = api.power_indices("qmv", composition=str(table))
    assert len(frame) == 20 and frame["banzhaf_normalised"].sum() == pytest.approx(1.0)
    # a full Council of 20 still needs 15 members (Art. 16(4) TEU), not 55% = 11
    g = get_rule("qmv").game(population_table(table))
    assert g.thresholds[14] == g.never and g.thresholds[15] != g.never


def test_candidates_are_accepted_only_where_they_are_members():
    assert api.vote("qmv", {"UA": "for"}, others="for",
                    composition="enlargement35").outcome == "adopted"
    with pytest.raises(InputError, match=r"Ukraine \(UA\) is not a member"):
        api.vote("qmv", {"UA": "for"})
