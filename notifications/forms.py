from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from notifications.models import NOTHING_CHOSEN, Subscription


class WantsSomething:
    """A form with `alerts` and `digest` checkboxes: at least one must be ticked."""

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("alerts") and not data.get("digest"):
            raise ValidationError(NOTHING_CHOSEN, code="nothing_chosen")
        return data


class SubscribeForm(WantsSomething, forms.Form):
    # EmailField refuses line breaks and anything not an address: nothing can reach a mail header.
    email = forms.EmailField(label="Your e-mail address", max_length=254)
    alerts = forms.BooleanField(label="When a date changes", required=False, initial=True)
    digest = forms.BooleanField(label="Every Monday: what is due in the next two weeks", required=False)


class SubscriptionAddForm(WantsSomething, forms.ModelForm):
    """Staff adding an address in the admin (it still confirms by e-mail)."""

    class Meta:
        model = Subscription
        fields = ["customer", "email", "alerts", "digest"]

    def validate_unique(self):
        pass  # the service finds the existing subscription instead (the same address is one subscription)

    def validate_constraints(self, exclude=None):
        pass  # the same: its unique constraint is the service's to apply
