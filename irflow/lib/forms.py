"""The base of every irflow form (`TextForm`): what text a field takes, see irflow.lib.text."""

from __future__ import annotations

from django import forms

from irflow.lib.text import TextRefused, clean_text


class TextForm(forms.Form):
    """Each text field's value goes through `clean_text` before the form's own clean() sees
    it. A Textarea is free text (line breaks and tabs kept); any other text field is
    single-line. A field with `allow_invisible = True` keeps bidirectional and zero-width
    characters; passwords are taken exactly as typed."""

    def _clean_fields(self) -> None:
        super()._clean_fields()  # type: ignore[misc]  # Django's, missing from its stubs
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if not isinstance(field, forms.CharField) or not isinstance(value, str):
                continue
            if isinstance(field.widget, forms.PasswordInput):
                continue
            try:
                self.cleaned_data[name] = clean_text(
                    value,
                    multiline=isinstance(field.widget, forms.Textarea),
                    invisible_allowed=getattr(field, "allow_invisible", False),
                )
            except TextRefused as exc:
                self.add_error(name, exc.message)
