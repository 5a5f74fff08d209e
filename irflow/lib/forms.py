"""The base of every irflow form (`TextForm`): what text a field takes, see irflow.lib.text."""

from __future__ import annotations

from django import forms
from django.http import QueryDict

from irflow.lib.text import TextRefused, clean_text


class TextForm(forms.Form):
    """Each text field's value goes through `clean_text` before the form's own clean() sees
    it. A Textarea is free text (line breaks and tabs kept); any other text field is
    single-line. A field with `allow_invisible = True` keeps bidirectional and zero-width
    characters, one with `barcode = True` the GS1 group separator a scanner types; passwords
    are taken exactly as typed."""

    def _clean_fields(self) -> None:
        super()._clean_fields()  # type: ignore[misc]  # Django's, missing from its stubs
        shown: dict[str, str] = {}
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if not isinstance(field, forms.CharField) or not isinstance(value, str):
                continue
            if isinstance(field.widget, forms.PasswordInput):
                continue
            try:
                cleaned = clean_text(
                    value,
                    multiline=isinstance(field.widget, forms.Textarea),
                    invisible_allowed=getattr(field, "allow_invisible", False),
                    barcode=getattr(field, "barcode", False),
                )
            except TextRefused as exc:
                self.add_error(name, exc.message)
                continue
            self.cleaned_data[name] = cleaned
            if cleaned != value and not field.disabled:
                shown[self.add_prefix(name)] = cleaned
        if shown:
            # A refused form shows the text as it would be kept, never a reordered one.
            data = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
            for key, text in shown.items():
                data[key] = text
            self.data = data
