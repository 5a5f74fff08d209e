"""Build the C-FIND response identifier for one worklist item (PS3.4 K.4.1.1.3.2, K.4.1.3.1)."""

from __future__ import annotations

import logging
from datetime import date, time

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.valuerep import format_number_as_ds

from irflow.dicom.charset import UTF8, fit_text, response_charset_value
from irflow.dicom.worklist.items import WorklistItem, resolve
from irflow.dicom.worklist.keys import TOP_KEYS, KeySpec, specs_by_tag
from irflow.dicom.worklist.query import ReturnKey, WorklistQuery
from irflow.dicom.worklist.values import format_da, format_tm

logger = logging.getLogger(__name__)


def build_response(query: WorklistQuery, item: WorklistItem, charset: str = UTF8) -> Dataset:
    """The identifier for `item` with exactly the keys `query` requested, encodable in `charset`.

    Requested keys irflow has no value for are returned zero-length; a sequence requested
    zero-length or with an empty item comes back with all the item keys irflow knows.
    Text the charset cannot represent is transliterated (see `irflow.dicom.charset`).
    """
    ds = Dataset()
    term = response_charset_value(charset)
    if term is not None:
        ds.SpecificCharacterSet = term
    _fill(ds, query.return_keys, TOP_KEYS, item, "", charset)
    return ds


def _fill(
    ds: Dataset,
    keys: tuple[ReturnKey, ...],
    specs: tuple[KeySpec, ...],
    source: object,
    field_prefix: str,
    charset: str,
) -> None:
    by_tag = specs_by_tag(specs)
    for key in keys:
        spec = by_tag.get(key.tag)
        if spec is None:
            # Unknown or private keys are echoed zero-length: requested, but no value known.
            ds.add_new(key.tag, key.vr, Sequence() if key.is_sequence else None)
        elif spec.vr == "SQ":
            ds.add_new(key.tag, "SQ", _sequence(key, spec, source, field_prefix, charset))
        else:
            value = resolve(source, field_prefix + spec.field) if spec.field else None
            ds.add_new(key.tag, spec.vr, _element_value(value, spec, charset))


def _sequence(
    key: ReturnKey, spec: KeySpec, source: object, field_prefix: str, charset: str
) -> Sequence:
    item_keys = key.item_keys or tuple(ReturnKey(s.tag, s.keyword, s.vr) for s in spec.items)
    if spec.flat:
        sources: list[object] = [source]
        nested_prefix = field_prefix
    elif spec.field is None:
        return Sequence()
    else:
        value = resolve(source, field_prefix + spec.field)
        sources = list(value) if isinstance(value, tuple) else [value] if value else []
        nested_prefix = ""
    items = []
    for nested in sources:
        item = Dataset()
        _fill(item, item_keys, spec.items, nested, nested_prefix, charset)
        items.append(item)
    return Sequence(items)


def _element_value(value: object, spec: KeySpec, charset: str) -> object:
    if value is None or value == "" or value == ():
        return None
    if isinstance(value, date) and spec.vr == "DA":
        return format_da(value)
    if isinstance(value, time) and spec.vr == "TM":
        return format_tm(value)
    if spec.vr == "DS" and isinstance(value, int | float):
        return format_number_as_ds(float(value))
    if spec.vr in ("US", "SS", "UL", "SL"):
        return value
    if isinstance(value, tuple):
        return [_text(str(v), spec, charset) for v in value]
    return _text(str(value), spec, charset)


def _text(text: str, spec: KeySpec, charset: str) -> str:
    fitted, changed = fit_text(text, charset, vr=spec.vr)
    if changed:
        # The keyword only: values are patient data and stay out of logs.
        logger.info("transliterated %s for charset %s", spec.keyword, charset)
    return fitted
