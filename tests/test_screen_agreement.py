"""Agreement per stage, checked against worked examples computed by hand (arithmetic in each test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.screen.agreement import cohen, fleiss, table
from tests.fixtures.screen.project import decide, project, screen, study

CATS = ["include", "exclude"]


def pairs(counts: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
    return [pair for pair, n in counts.items() for _ in range(n)]


def test_cohen_kappa_and_fleiss_cohen_everitt_ci_match_the_hand_computation() -> None:
    # A\B        include exclude   (n = 50)
    # include       20      5      row A: p1. = .5, p2. = .5
    # exclude       10     15      col B: p.1 = .6, p.2 = .4
    # p_o = (20 + 15)/50 = .70; p_e = .5*.6 + .5*.4 = .50; kappa = (.70 - .50)/(1 - .50) = .40
    # FCE 1969: diag = .4*(1 - (.5+.6)*.6)^2 + .3*(1 - (.5+.4)*.6)^2 = .4*.1156 + .3*.2116 = .10972
    #           off  = .6^2 * (.1*(.6+.5)^2 + .2*(.4+.5)^2) = .36 * (.121 + .162) = .10188
    #           corr = (.4 - .5*.6)^2 = .01
    #           var  = (.10972 + .10188 - .01) / (50 * .5^2) = .2016 / 12.5 = .016128; se = .126996
    # 95% CI = .40 -/+ 1.96 * .126996 = (.1511, .6489)
    counts = table(pairs({("include", "include"): 20, ("include", "exclude"): 5,
                          ("exclude", "include"): 10, ("exclude", "exclude"): 15}), CATS)
    assert counts == {"include": {"include": 20, "exclude": 5}, "exclude": {"include": 10, "exclude": 15}}
    assert cohen(counts) == {"n": 50, "percent": 70.0, "kappa": 0.4, "ci_low": 0.1511, "ci_high": 0.6489}


def test_cohen_kappa_with_three_categories() -> None:
    # A\B       include exclude maybe   rows A: 12, 18, 5   cols B: 12, 17, 6   n = 35
    # include      10      2      0
    # exclude       1     15      2
    # maybe         1      0      4
    # p_o = 29/35 = .828571 (82.86%); p_e = (12*12 + 18*17 + 5*6)/35^2 = 480/1225
    # kappa = (1015 - 480)/(1225 - 480) = 535/745 = .718121
    cats = ["include", "exclude", "maybe"]
    counts = table(pairs({("include", "include"): 10, ("include", "exclude"): 2, ("exclude", "include"): 1,
                          ("exclude", "exclude"): 15, ("exclude", "maybe"): 2, ("maybe", "include"): 1,
                          ("maybe", "maybe"): 4}), cats)
    result = cohen(counts)
    assert (result["n"], result["percent"], result["kappa"]) == (35, 82.86, 0.7181)
    assert result["ci_low"] < 0.7181 < result["ci_high"]


def test_kappa_is_undefined_when_both_reviewers_only_used_one_category() -> None:
    assert cohen(table([("exclude", "exclude")] * 4, CATS)) == {
        "n": 4, "percent": 100.0, "kappa": None, "ci_low": None, "ci_high": None}
    assert cohen(table([], CATS))["kappa"] is None


def test_fleiss_kappa_matches_the_hand_computation() -> None:
    # 3 raters, 4 studies: (I,I,I) (I,I,E) (E,E,E) (I,E,E)
    # P_i = (sum n_ij^2 - 3)/(3*2): 1, (4+1-3)/6 = 1/3, 1, 1/3 -> P_bar = 2/3
    # p_I = 6/12 = .5, p_E = .5 -> P_e = .5; kappa = (2/3 - 1/2)/(1 - 1/2) = 1/3
    ratings = [["include"] * 3, ["include", "include", "exclude"], ["exclude"] * 3, ["include", "exclude", "exclude"]]
    assert fleiss(ratings, CATS) == pytest.approx(0.3333, abs=1e-4)


def test_summary_has_every_pair_and_fleiss_for_three_reviewers(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path, [study(f"pubmed:{i}") for i in (1, 2, 3, 4)], ta=("ann", "ben", "cat"),
                               ft=("ann",))
    screen(layout, protocol)
    decide(layout.sheet("title_abstract", "ann"), dict.fromkeys(["pubmed:1", "pubmed:2", "pubmed:4"], "include")
           | {"pubmed:3": "exclude"})
    decide(layout.sheet("title_abstract", "ben"), {"pubmed:1": "include", "pubmed:2": "include",
                                                   "pubmed:3": "exclude", "pubmed:4": "exclude"})
    decide(layout.sheet("title_abstract", "cat"), {"pubmed:1": "include", "pubmed:2": "exclude",
                                                   "pubmed:3": "exclude", "pubmed:4": "exclude"})
    agreement = screen(layout, protocol).summary["stages"]["title_abstract"]["agreement"]
    assert [(p["a"], p["b"], p["n"]) for p in agreement["pairs"]] == [("ann", "ben", 4), ("ann", "cat", 4), ("ben", "cat", 4)]
    # same ratings as the hand-computed Fleiss example above, study by study
    assert agreement["fleiss"] == {"kappa": pytest.approx(0.3333, abs=1e-4), "n": 4, "raters": 3}
    # ann vs ben: 3 of 4 agree; ann include 3/4, ben include 2/4: p_e = .75*.5 + .25*.5 = .5; kappa = (.75-.5)/.5 = .5
    ann_ben = agreement["pairs"][0]
    assert (ann_ben["percent"], ann_ben["kappa"]) == (75.0, 0.5)
    assert ann_ben["table"]["include"] == {"include": 2, "exclude": 1, "maybe": 0}
