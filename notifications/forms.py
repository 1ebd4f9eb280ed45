from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


class SubscribeForm(forms.Form):
    # EmailField refuses line breaks and anything not an address: nothing can reach a mail header.
    email = forms.EmailField(label="Your e-mail address", max_length=254)
    alerts = forms.BooleanField(label="When a date changes", required=False, initial=True)
    digest = forms.BooleanField(label="Every Monday: what is due in the next two weeks", required=False)

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("alerts") and not data.get("digest"):
            raise ValidationError("Choose at least one kind of e-mail.", code="nothing_chosen")
        return data
