"""The record's field groups are declared once: the page's forms, the service's checks and the
model agree, and no value sent to a group does anything but save or name its field."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from irflow.lib.errors import ValidationFailed
from irflow.procedures import forms, groups
from irflow.procedures.models import ProcedureRecord


def test_the_page_shows_each_group_with_the_fields_the_service_accepts():
    assert list(forms.GROUP_FORMS) == list(groups.GROUPS)
    for name, (_title, form) in forms.GROUP_FORMS.items():
        assert tuple(form.base_fields) == groups.fields_of(name)


def test_lengths_and_choices_come_from_the_model():
    for _title, form in groups.GROUPS.values():
        for field_name, field in form.base_fields.items():
            column = ProcedureRecord._meta.get_field(field_name)
            if isinstance(field, groups.Text):
                assert field.max_length == column.max_length, field_name
            if isinstance(field, groups.Choice):
                offered = {value for value, _ in field.choices}
                assert offered - {""} == {value for value, _ in column.choices} - {""}, field_name


# What a JSON body may carry in a field: nothing, a flag, a number, text or a list.
json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.lists(st.one_of(st.text(max_size=12), st.integers(), st.none()), max_size=3),
)


@st.composite
def group_values(draw):
    group = draw(st.sampled_from(list(groups.GROUPS)))
    fields = groups.fields_of(group)
    return group, draw(st.dictionaries(st.sampled_from(fields), json_values, max_size=3))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(group_values())
def test_any_value_is_saved_typed_or_refused_naming_its_field(case):
    group, values = case
    fields = groups.fields_of(group)
    try:
        clean = groups.clean_group(group, values)
    except ValidationFailed as exc:
        assert set(exc.errors) <= set(fields)
        assert all(exc.errors.values())
    else:
        assert set(clean) == set(values)


@pytest.mark.parametrize(
    ("group", "values", "field", "message"),
    [
        ("contrast", {"contrast_ml": "-5"}, "contrast_ml", "cannot be negative (-5 ml)"),
        ("contrast", {"contrast_ml": "lots"}, "contrast_ml", "“lots” is not a number."),
        ("contrast", {"contrast_ml": "1.25"}, "contrast_ml", "at most 1 decimal place"),
        ("access", {"access_sites": ["none", "right_cfa"]}, "access_sites", "“None” cannot be"),
        ("access", {"access_note": 7}, "access_note", "Give text."),
        ("times", {"started_at": "2026-12-04T10:00"}, "started_at", "with its time zone"),
    ],
)
def test_refusals_name_the_field_and_the_reason(group, values, field, message):
    with pytest.raises(ValidationFailed) as exc:
        groups.clean_group(group, values)
    assert message in " ".join(exc.value.errors[field])


def test_a_comma_is_a_decimal_point():
    assert str(groups.clean_group("contrast", {"contrast_ml": " 12,5 "})["contrast_ml"]) == "12.5"
