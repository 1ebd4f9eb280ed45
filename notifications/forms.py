from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from notifications.models import MIN_DAYS_CHOICES, NOTHING_CHOSEN, Subscription


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
    min_days = forms.TypedChoiceField(
        label="For moves of", choices=MIN_DAYS_CHOICES, coerce=int, initial=0, required=False, empty_value=0
    )
    later_only = forms.BooleanField(label="Only when a date moves later", required=False)
    digest = forms.BooleanField(label="Every Monday: what is due in the next two weeks", required=False)


class SubscriptionAddForm(WantsSomething, forms.ModelForm):
    """Staff adding an address in the admin (it still confirms by e-mail)."""

    class Meta:
        model = Subscription
        fields = ["customer", "email", "alerts", "digest", "min_days", "later_only"]

    def validate_unique(self):
        pass  # the service finds the existing subscription instead (the same address is one subscription)

    def validate_constraints(self, exclude=None):
        pass  # the same: its unique constraint is the service's to apply
