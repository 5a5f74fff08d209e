"""What text fields take (irflow.lib.text), for any text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irflow.lib.text import (
    GROUP_SEPARATOR,
    INVISIBLE,
    LINE_BREAKS,
    MSG_LINE_BREAK,
    TextRefused,
    clean_text,
)

CONTROLS = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cc"]
# Text with no control character, no line break and nothing invisible.
plain = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs"), blacklist_characters="".join(INVISIBLE | LINE_BREAKS)
    )
)


@given(plain)
def test_plain_text_is_kept_as_it_is(value):
    assert clean_text(value) == value
    assert clean_text(value, multiline=True) == value


@given(plain, st.sampled_from(sorted(INVISIBLE)), plain)
def test_invisible_characters_are_removed_unless_allowed(before, invisible, after):
    assert clean_text(before + invisible + after) == before + after
    assert clean_text(before + invisible + after, multiline=True) == before + after
    kept = clean_text(before + invisible + after, invisible_allowed=True)
    assert kept == before + invisible + after


@given(plain, st.sampled_from(sorted(LINE_BREAKS)), plain)
def test_a_single_line_field_refuses_every_line_break(before, brk, after):
    with pytest.raises(TextRefused) as refused:
        clean_text(before + brk + after)
    assert refused.value.message == MSG_LINE_BREAK


@given(plain, st.sampled_from(["\r\n", "\r", "\n", "\u2028", "\u2029"]), plain)
def test_free_text_keeps_its_line_breaks_as_lf(before, brk, after):
    assert clean_text(before + brk + after, multiline=True) == before + "\n" + after


@given(plain, st.sampled_from([c for c in CONTROLS if c not in "\t\n\r"]), plain)
def test_other_control_characters_are_refused_everywhere_naming_them(before, control, after):
    for multiline in (False, True):
        with pytest.raises(TextRefused) as refused:
            clean_text(before + control + after, multiline=multiline)
        if multiline or control not in LINE_BREAKS:  # else: a line break (vertical tab, NEL)
            assert f"U+{ord(control):04X}" in refused.value.message


@given(st.text())
def test_what_is_kept_holds_nothing_refused(value):
    for multiline in (False, True):
        try:
            kept = clean_text(value, multiline=multiline)
        except TextRefused:
            continue
        assert not any(c in INVISIBLE for c in kept)
        assert all(unicodedata.category(c) != "Cc" or (multiline and c in "\n\t") for c in kept)
        assert "\r" not in kept


def test_free_text_keeps_tabs_and_a_name_refuses_them():
    assert clean_text("a\tb", multiline=True) == "a\tb"
    with pytest.raises(TextRefused):
        clean_text("a\tb")
    with pytest.raises(TextRefused):
        clean_text("x\x0by", multiline=True)  # vertical tab
    assert clean_text("ADMIN\u202eNIMDA") == "ADMINNIMDA"


def test_a_scanned_udi_keeps_gs1_group_separators_and_other_text_refuses_them():
    scanned = "0100884838035683174912311" + "0LOT42" + GROUP_SEPARATOR + "21SN7"
    assert clean_text(scanned, barcode=True) == scanned
    with pytest.raises(TextRefused):
        clean_text(scanned)
    with pytest.raises(TextRefused):  # a barcode is still one line
        clean_text(scanned + "\n", barcode=True)
