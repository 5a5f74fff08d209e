"""Every figure of the quality dashboard against the value worked out by hand on the fixed
department of irflow/testing/quality.py (nine cases, one outside the period)."""

from __future__ import annotations

import pytest
from django.db import connection

from irflow.lib.errors import Forbidden
from irflow.quality import selectors
from irflow.quality.selectors import Filters, quality_dashboard
from irflow.testing.quality import END, START

ILIAC, PICC = "Iliac angioplasty and stenting", "PICC line insertion"


def board(actor, **narrow):
    return quality_dashboard(actor=actor, filters=Filters(start=START, end=END, **narrow))


def test_volumes(world, personas):
    d = board(personas["qi_lead"])
    assert d.total == 8  # the ninth case is from 2025
    assert [(b.label, b.count) for b in d.by_procedure] == [(ILIAC, 5), (PICC, 3)]
    ops = {b.key: b.count for b in d.by_operator}
    assert ops == {str(world["operators"][1].pk): 4, str(world["operators"][2].pk): 3, "": 1}
    assert [(b.label, b.count) for b in d.by_room] == [("Angio A", 4), ("Angio B", 4)]
    assert [(b.key, b.count) for b in d.by_month] == [("2026-03", 3), ("2026-04", 5)]


def test_success_rates(world, personas):
    rows = {r.label: r for r in board(personas["qi_lead"]).success}
    iliac, picc = rows[ILIAC], rows[PICC]
    # Iliac: technical assessed in cases 1–4, achieved in 1, 2, 4; clinical assessed 1, 2, 4,
    # achieved in 1 and 4. PICC: technical 6, 7 of 6–8; clinical 6 of 6.
    assert (iliac.technical.numerator, iliac.technical.denominator) == (3, 4)
    assert (iliac.clinical.numerator, iliac.clinical.denominator) == (2, 3)
    assert (picc.technical.numerator, picc.technical.denominator) == (2, 3)
    assert (picc.clinical.numerator, picc.clinical.denominator) == (1, 1)
    # Wilson 3 of 4: centre (0.75 + 0.48021) / 1.96041 = 0.62753, half 0.99980 × √(0.046875 +
    # 0.060026) = 0.32685.
    assert iliac.technical.low == pytest.approx(0.3006, abs=1e-4)
    assert iliac.technical.high == pytest.approx(0.9544, abs=1e-4)
    assert iliac.technical_threshold.value is None
    assert iliac.technical_threshold.label == "set by the site"


def test_adverse_events(world, personas):
    rows = {r.label: r for r in board(personas["qi_lead"]).adverse_events}
    iliac, picc = rows[ILIAC], rows[PICC]
    # Iliac: cases 2 (mild) and 3 (moderate and mild) of 5; case 4's severe event was entered
    # in error and does not count.
    assert (iliac.any.numerator, iliac.any.denominator) == (2, 5)
    assert (iliac.moderate_plus.numerator, iliac.moderate_plus.denominator) == (1, 5)
    assert iliac.by_grade == {
        "mild": 2,
        "moderate": 1,
        "severe": 0,
        "life_threatening": 0,
        "death": 0,
    }
    assert (round(iliac.any.low, 4), round(iliac.any.high, 4)) == (0.1176, 0.7693)
    assert (picc.any.numerator, picc.any.denominator) == (1, 3)
    assert picc.by_grade["mild"] == 1
    assert iliac.breached is None  # no threshold set


def test_dose_percentiles(world, personas):
    rows = {r.label: r for r in board(personas["qi_lead"]).dose}
    # Iliac DAP per case 10, 20, 30, 15 + 25 = 40: median 25, p75 30 + 0.25 × 10 = 32.5;
    # Ka,r 100, 200, 300, 400: 250 and 325. PICC 1 and 3: 2 and 2.5; Ka,r 5, 15: 10, 12.5.
    assert (rows[ILIAC].procedures, rows[ILIAC].dap_median, rows[ILIAC].dap_p75) == (4, 25, 32.5)
    assert (rows[ILIAC].kar_median, rows[ILIAC].kar_p75) == (250, 325)
    assert (rows[PICC].procedures, rows[PICC].dap_median, rows[PICC].dap_p75) == (2, 2, 2.5)
    assert (rows[PICC].kar_median, rows[PICC].kar_p75) == (10, 12.5)


def test_dose_percentiles_agree_between_the_database_and_python(world, personas):
    """PostgreSQL's percentile_cont and the SQLite path give the same figure."""
    computed = board(personas["qi_lead"]).dose
    vendor = connection.vendor
    try:
        connection.vendor = "sqlite" if vendor == "postgresql" else vendor
        python_side = board(personas["qi_lead"]).dose
    finally:
        connection.vendor = vendor
    assert [(r.dap_median, r.dap_p75, r.kar_median, r.kar_p75) for r in computed] == [
        (r.dap_median, r.dap_p75, r.kar_median, r.kar_p75) for r in python_side
    ]


def test_filters_narrow_every_figure(world, personas):
    op2 = str(world["operators"][2].pk)
    d = board(personas["qi_lead"], procedure="PTA-IL", operator=op2)
    assert d.total == 2  # cases 3 and 4
    (ae,) = d.adverse_events
    assert (ae.any.numerator, ae.any.denominator) == (1, 2)
    d = board(personas["qi_lead"], urgency="urgent")
    assert d.total == 1 and d.adverse_events[0].by_grade["mild"] == 1
    d = board(personas["qi_lead"], room=world["rooms"]["B"].pk)
    assert [(b.label, b.count) for b in d.by_procedure] == [(ILIAC, 2), (PICC, 2)]
    d = board(personas["qi_lead"], operator="none")
    assert d.total == 1 and d.by_procedure[0].label == PICC


@pytest.mark.parametrize(
    ("narrow", "expected"),
    [
        ({"procedure": "PTA-IL", "ae": "any"}, 2),
        ({"procedure": "PTA-IL", "ae": "mild"}, 2),
        ({"procedure": "PTA-IL", "ae": "moderate"}, 1),
        ({"procedure": "PTA-IL", "ae": "severe"}, 0),
        ({"month": "2026-03"}, 3),
        ({"procedure": "PICC", "technical": "assessed"}, 3),
        ({"procedure": "PTA-IL", "dose": "1"}, 4),
    ],
)
def test_drill_down_lists_the_figures_cases(world, personas, narrow, expected):
    filters = {k: v for k, v in narrow.items() if k == "procedure"}
    rest = {k: v for k, v in narrow.items() if k != "procedure"}
    total, rows = selectors.case_list(
        actor=personas["qi_lead"],
        filters=Filters(start=START, end=END, **filters),
        narrow=rest,
    )
    assert total == len(rows) == expected


def test_every_drill_link_of_the_dashboard_counts_its_figure(world, personas):
    """Each bar's drill-down query lists exactly as many cases as the bar shows."""
    from django.http import QueryDict

    d = board(personas["qi_lead"])
    links = [(b.drill, b.count) for b in d.by_procedure + d.by_operator + d.by_room + d.by_month]
    links += [(r.drill_any, r.any.numerator) for r in d.adverse_events]
    links += [(r.drill_grade[g], n) for r in d.adverse_events for g, n in r.by_grade.items()]
    links += [(r.drill_technical, r.technical.denominator) for r in d.success]
    links += [(r.drill, r.procedures) for r in d.dose]
    for query, count in links:
        q = QueryDict(query)
        filters = Filters(
            start=START,
            end=END,
            procedure=q.get("procedure", ""),
            operator=q.get("operator", ""),
            room=int(q["room"]) if q.get("room") else None,
        )
        narrow = {k: q[k] for k in selectors.DRILL_KEYS if q.get(k)}
        total, _ = selectors.case_list(actor=personas["qi_lead"], filters=filters, narrow=narrow)
        assert total == count, query


def test_roles(world, personas):
    for role in ("qi_lead", "attending"):
        assert board(personas[role]).total == 8
    for role in ("nurse", "scheduler", "referrer", "trainee"):
        with pytest.raises(Forbidden):
            board(personas[role])
