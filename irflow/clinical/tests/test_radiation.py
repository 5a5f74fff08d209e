"""Radiation thresholds: SRDLs, notification levels, follow-up windows, DRLs."""

from __future__ import annotations

import pytest

from irflow.clinical import (
    SitePolicy,
    cumulative_review_threshold_mgy,
    cumulative_window_days,
    drl_for,
    drl_groups,
    next_notification_mgy,
    notification_levels,
    radiation_alerts,
    skin_followup_window_days,
)
from irflow.clinical import messages as msg
from irflow.clinical.tests.templates import matches


@pytest.mark.parametrize(
    ("kwargs", "rule_id", "threshold", "confidence"),
    [
        ({"ka_r_mgy": 5000}, "ncrp-168-radiation.srdl.ka-r", 5000, "V"),
        ({"psd_mgy": 3000}, "ncrp-168-radiation.srdl.psd", 3000, "S"),
        ({"kap_gy_cm2": 500}, "ncrp-168-radiation.srdl.kap", 500, "U"),
        ({"fluoro_time_s": 3600}, "ncrp-168-radiation.srdl.fluoro-time", 3600, "U"),
    ],
)
def test_each_srdl_on_both_sides(
    kwargs: dict[str, float], rule_id: str, threshold: float, confidence: str
) -> None:
    (quantity, value) = next(iter(kwargs.items()))
    reached = [a for a in radiation_alerts(**kwargs) if a.level == "srdl"]  # type: ignore[arg-type]
    assert [(a.rule_id, a.threshold, a.confidence, a.verified) for a in reached] == [
        (rule_id, threshold, confidence, confidence != "U")
    ]
    assert matches(msg.ALERT_SRDL, reached[0].message)
    below = {quantity: value - 0.1}
    assert not [a for a in radiation_alerts(**below) if a.level == "srdl"]  # type: ignore[arg-type]


def test_notification_levels_3_gy_then_every_1_gy() -> None:
    assert notification_levels(up_to_mgy=2999.9) == ()
    assert notification_levels(up_to_mgy=3000) == (3000,)
    assert notification_levels(up_to_mgy=5499) == (3000, 4000, 5000)
    assert next_notification_mgy(0) == 3000
    assert next_notification_mgy(4200) == 5000
    (alert,) = radiation_alerts(ka_r_mgy=4200)
    assert (alert.level, alert.threshold, alert.rule_id) == (
        "notification",
        4000,
        "ncrp-168-radiation.notification",
    )
    assert alert.message == (
        "Reference air kerma 4200 mGy reached the notification level of 4000 mGy: "
        "tell the operator."
    )


def test_cumulative_review_trigger_is_a_site_default() -> None:
    assert cumulative_review_threshold_mgy() == 15000
    (alert,) = radiation_alerts(cumulative_skin_dose_mgy=15000)
    assert (alert.level, alert.verified) == ("review", False)
    assert not radiation_alerts(cumulative_skin_dose_mgy=14999)


def test_windows_are_site_settings() -> None:
    assert skin_followup_window_days() == (14, 28)
    assert cumulative_window_days() == 60
    site = SitePolicy.from_mapping(
        {
            "ncrp-168-radiation.cumulative-window": {"days": 365},
            "ncrp-168-radiation.skin-followup": {"from_days": 10, "to_days": 30},
            "ncrp-168-radiation.srdl.kap": {"threshold": 300},
        }
    )
    assert cumulative_window_days(site) == 365
    assert skin_followup_window_days(site) == (10, 30)
    assert [a.rule_id for a in radiation_alerts(kap_gy_cm2=350, policy=site)] == [
        "ncrp-168-radiation.srdl.kap"
    ]


DRLS = {
    "tace": (238, "Korea"),
    "embolisation": (160, "2011"),
    "biliary_intervention": (66, "2011"),
    "drainage": (36, "2011"),
    "stenting": (56, "2011"),
    "angioplasty": (25, "2011"),
    "lower_limb_iliac_angiography": (210, "Swiss"),
    "biliary_drainage_stenting": (240, "Swiss"),
    "cerebral_embolisation": (440, "Swiss"),
}


@pytest.mark.parametrize(("group", "expected"), list(DRLS.items()))
def test_drls_with_their_survey(group: str, expected: tuple[float, str]) -> None:
    drl = drl_for(group)
    assert drl is not None
    assert drl.kap_gy_cm2 == expected[0]
    assert expected[1] in drl.source
    assert drl.confidence == "V"


def test_drl_groups_and_unknown_group() -> None:
    assert set(drl_groups()) == set(DRLS)
    assert drl_for("vertebroplasty") is None
    site = SitePolicy.from_mapping({"ncrp-168-radiation.drl.tace": {"kap": 200}})
    drl = drl_for("tace", site)
    assert drl is not None and drl.kap_gy_cm2 == 200


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), True])
def test_bad_dose_values_are_refused(bad: float) -> None:
    with pytest.raises(ValueError):
        radiation_alerts(ka_r_mgy=bad)
