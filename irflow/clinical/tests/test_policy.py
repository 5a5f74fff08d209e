"""Site policy: overrides apply, refusals name rule and parameter, [U] stays unverified."""

from __future__ import annotations

from typing import Any

import pytest

from irflow.clinical import DEFAULT_POLICY, PolicyError, SitePolicy
from irflow.clinical import messages as msg
from irflow.clinical.tests.templates import matches


def test_default_is_the_stricter_end_of_a_range() -> None:
    resolved = DEFAULT_POLICY.resolve("sir-2019.inr.high-risk", "inr_max")
    assert resolved.value == 1.5
    assert resolved.origin == "published"
    assert resolved.published_range == (1.5, 1.8)
    assert resolved.verified is True


def test_a_pick_inside_the_range_applies() -> None:
    policy = SitePolicy.from_mapping({"sir-2019.inr.high-risk": {"inr_max": 1.8}})
    resolved = policy.resolve("sir-2019.inr.high-risk", "inr_max")
    assert resolved.value == 1.8
    assert resolved.origin == "site"
    assert resolved.default == 1.5
    assert resolved.verified is True


@pytest.mark.parametrize(
    ("rule_id", "param", "value"),
    [
        ("sir-2019.inr.high-risk", "inr_max", 1.4),
        ("sir-2019.inr.high-risk", "inr_max", 1.81),
        ("sir-2019.inr.low-risk", "inr_max", 3.5),
        ("sir-2019.hold.dabigatran", "hold_crcl_below_cut", 9),
        ("sir-2019.hold.heparin-iv", "hold", 3),
    ],
)
def test_a_pick_outside_the_range_is_refused(rule_id: str, param: str, value: float) -> None:
    with pytest.raises(PolicyError) as info:
        SitePolicy.from_mapping({rule_id: {param: value}})
    assert info.value.rule_id == rule_id
    assert info.value.param == param
    assert rule_id in str(info.value) and param in str(info.value)
    assert "outside the published range" in str(info.value)


def test_out_of_range_message_is_the_template() -> None:
    with pytest.raises(PolicyError) as info:
        SitePolicy.from_mapping({"sir-2019.inr.high-risk": {"inr_max": 2}})
    expected = msg.POLICY_OUT_OF_RANGE.format(
        rule_id="sir-2019.inr.high-risk",
        param="inr_max",
        value=2,
        low="1.5",
        high="1.8",
        unit="INR",
    )
    assert str(info.value) == expected


@pytest.mark.parametrize(
    ("data", "param", "template"),
    [
        ({"nope.rule": {"x": 1}}, "*", msg.POLICY_UNKNOWN_RULE),
        ({"sir-2019.inr.high-risk": {"nope": 1}}, "nope", msg.POLICY_UNKNOWN_PARAM),
        (
            {"sir-2019.platelets.high-risk": {"platelets_min": 30}},
            "platelets_min",
            msg.POLICY_NOT_CONFIGURABLE,
        ),
        (
            {"ncrp-168-radiation.srdl.ka-r": {"threshold": 4}},
            "threshold",
            msg.POLICY_NOT_CONFIGURABLE,
        ),
        ({"irflow-site.lab-validity": {"inr_days": -1}}, "inr_days", msg.POLICY_NOT_A_NUMBER),
        ({"irflow-site.lab-validity": {"inr_days": "30"}}, "inr_days", msg.POLICY_NOT_A_NUMBER),
        ({"irflow-site.lab-validity": {"inr_days": True}}, "inr_days", msg.POLICY_NOT_A_NUMBER),
        (
            {"irflow-site.lab-validity": {"inr_days": float("nan")}},
            "inr_days",
            msg.POLICY_NOT_A_NUMBER,
        ),
        ({"irflow-site.lab-validity": {"inr_days": 7.5}}, "inr_days", msg.POLICY_NOT_WHOLE),
        (
            {"sir-2019.hold.fondaparinux": {"hold_crcl_below_cut": 4.5}},
            "hold_crcl_below_cut",
            msg.POLICY_NOT_WHOLE,
        ),
        ({"pain-nrs.bands": {"mild_max": 10}}, "mild_max", msg.POLICY_OUT_OF_BOUNDS),
        ({"pain-nrs.bands": {"mild_max": 6}}, "moderate_max", msg.POLICY_ORDER),
        ({"acr-nkf-2020.kdigo-alternative": {"enabled": 1}}, "enabled", msg.POLICY_NOT_A_FLAG),
        (
            {"acr-contrast-premedication.prior-reaction": {"elective_regimen": "aspirin"}},
            "elective_regimen",
            msg.POLICY_NOT_A_CHOICE,
        ),
        (
            {"asa-fasting.applies": {"sedation_levels": "moderate"}},
            "sedation_levels",
            msg.POLICY_NOT_A_LIST,
        ),
        (
            {"asa-fasting.applies": {"sedation_levels": ["local"]}},
            "sedation_levels",
            msg.POLICY_NOT_A_CHOICE,
        ),
        ({"sir-2019.inr.high-risk": 1.6}, "*", msg.POLICY_NOT_A_MAPPING),
    ],
)
def test_refusals_name_the_rule_and_parameter(
    data: dict[str, Any], param: str, template: str
) -> None:
    with pytest.raises(PolicyError) as info:
        SitePolicy.from_mapping(data)
    assert info.value.param == param
    rule_id = next(iter(data))
    assert info.value.rule_id == rule_id
    assert matches(template, str(info.value))


def test_unverified_values_stay_unverified_when_the_site_sets_them() -> None:
    policy = SitePolicy.from_mapping({"sir-2019.hold.apixaban": {"hold_crcl_at_or_above_cut": 6}})
    resolved = policy.resolve("sir-2019.hold.apixaban", "hold_crcl_at_or_above_cut")
    assert resolved.value == 6
    assert resolved.verified is False
    assert resolved.site_default is True
    default = DEFAULT_POLICY.resolve("ncrp-168-radiation.srdl.kap", "threshold")
    assert default.verified is False and default.site_default is True


def test_configurable_published_values_and_lists() -> None:
    policy = SitePolicy.from_mapping(
        {
            "ncrp-168-radiation.drl.tace": {"kap": 200},
            "acr-nkf-2020.kdigo-alternative": {"enabled": True},
            "asa-fasting.applies": {"sedation_levels": ["moderate", "deep", "general"]},
            "pain-nrs.bands": {"mild_max": 4, "moderate_max": 7},
        }
    )
    assert policy.number("ncrp-168-radiation.drl.tace", "kap") == 200
    assert policy.flag("acr-nkf-2020.kdigo-alternative", "enabled") is True
    assert policy.texts("asa-fasting.applies", "sedation_levels") == ("moderate", "deep", "general")
    assert policy.number("pain-nrs.bands", "moderate_max") == 7


def test_policy_round_trips_through_plain_data_and_is_immutable() -> None:
    data: dict[str, Any] = {
        "sir-2019.inr.low-risk": {"inr_max": 2.5},
        "asa-fasting.applies": {"sedation_levels": ["moderate"]},
    }
    policy = SitePolicy.from_mapping(data, timezone="America/New_York")
    assert policy.to_mapping() == data
    assert SitePolicy.from_mapping(policy.to_mapping(), timezone="America/New_York") == policy
    assert hash(policy) == hash(SitePolicy.from_mapping(data, timezone="America/New_York"))
    assert policy != SitePolicy.from_mapping(data)
    with pytest.raises(AttributeError):
        policy.timezone = "UTC"  # type: ignore[misc]
    with pytest.raises(TypeError):
        policy.overrides["x"] = {}  # type: ignore[index]
    assert str(policy.zone) == "America/New_York"


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(PolicyError) as info:
        SitePolicy(timezone="Mars/Olympus")
    assert info.value.param == "timezone"


def test_values_for_lists_every_parameter() -> None:
    values = DEFAULT_POLICY.values_for("sir-2019.hold.apixaban")
    assert set(values) == {
        "default_doses_per_day",
        "crcl_cut",
        "hold_crcl_at_or_above_cut",
        "hold_crcl_below_cut",
        "restart",
    }
    assert all(v.verified is False for v in values.values())
    assert values["restart"].to_dict()["value"] == 24
