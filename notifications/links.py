"""The links in our e-mails: the report, confirm and unsubscribe.

Confirm and unsubscribe links do not carry the customer's secret link: a confirmation goes
to an address nobody has confirmed yet (a mistyped one, maybe), so it must not open the
orders. They are `/subscriptions/confirm/<token>` and `/subscriptions/unsubscribe/<token>`;
the report link reaches an address only once it is confirmed. (Links sent before, under
`/<link>/subscriptions/…`, still work.)

Tokens are signed (django.core.signing) with the customer's link id in the salt, so
regenerating a customer's link invalidates every link in the e-mails already sent.
Confirming expires after a week; unsubscribing does not expire (it only deletes). A token
names a subscription by id, and ids are never reused, so a token dies with the subscription
it was made for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from customers.models import Customer

CONFIRM_MAX_AGE = timedelta(days=7)
# The characters of our signed values (an id, '.', choices) and of django.core.signing (URL-safe base64, ':').
TOKEN_PATTERN = r"[A-Za-z0-9_\-:.]{1,120}"  # noqa: S105 - a URL pattern, not a secret


@dataclass(frozen=True)
class ConfirmRequest:
    """What a confirmation link asks for: this subscription, with these choices."""

    subscription_id: int
    alerts: bool
    digest: bool
    min_days: int = 0  # alerts only for moves of at least this many days
    later_only: bool = False  # alerts only for dates moved later

    @property
    def choices(self) -> str:
        """The choices as digits, alerts, digest, min days, later only (`1021`): how tokens and deliveries
        carry them. Links sent before the last two existed carry two (`10`) and read as 0 and no."""
        return f"{int(self.alerts)}{int(self.digest)}{self.min_days}{int(self.later_only)}"

    @property
    def alert_words(self) -> str:
        """`an e-mail when an order's date moves later by a week or more`: the alerts asked for."""
        moves = "moves later" if self.later_only else "changes"
        size = {2: " by 2 days or more", 7: " by a week or more"}.get(self.min_days, "")
        return f"an e-mail when an order's date {moves}{size}"

    @classmethod
    def from_choices(cls, subscription_id: int, choices: str) -> ConfirmRequest:
        if len(choices) not in (2, 4) or not choices.isdigit() or (len(choices) == 4 and choices[2] not in "027"):
            raise ValueError(f"not a set of choices: {choices!r}")
        later = choices[2:] or "00"
        return cls(subscription_id, choices[0] == "1", choices[1] == "1", int(later[0]), later[1] == "1")


def _confirm_signer(customer: Customer) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"notifications.confirm:{customer.obfuscated_id}")


def _unsubscribe_signer(customer: Customer) -> signing.Signer:
    return signing.Signer(salt=f"notifications.unsubscribe:{customer.obfuscated_id}")


def confirm_token(customer: Customer, request: ConfirmRequest) -> str:
    return _confirm_signer(customer).sign(f"{request.subscription_id}.{request.choices}")


def confirm_token_read(customer: Customer, token: str) -> ConfirmRequest | None:
    """The request behind a confirmation token, or None when it is forged, expired or for another link."""
    try:
        value = _confirm_signer(customer).unsign(token, max_age=CONFIRM_MAX_AGE)
        pk, _, choices = value.partition(".")
        return ConfirmRequest.from_choices(int(pk), choices)
    except (signing.BadSignature, ValueError):
        return None


def unsubscribe_token(customer: Customer, subscription_id: int) -> str:
    return _unsubscribe_signer(customer).sign(str(subscription_id))


def unsubscribe_token_read(customer: Customer, token: str) -> int | None:
    try:
        return int(_unsubscribe_signer(customer).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def named_subscription(token: str):
    """The subscription a token names, not yet trusted (its signature is checked with its customer's link)."""
    from notifications.models import Subscription

    value = token.split(":", 1)[0]
    try:
        pk = int(value.partition(".")[0])
    except ValueError:
        return None
    return Subscription.objects.select_related("customer").filter(pk=pk).first()


def confirm_token_open(token: str):
    """(subscription, what it asks) for a link-free confirmation token, or None when forged, expired or gone."""
    subscription = named_subscription(token)
    asked = subscription and confirm_token_read(subscription.customer, token)
    if not asked or asked.subscription_id != subscription.pk:
        return None
    return subscription, asked


def unsubscribe_token_open(token: str):
    """The subscription a link-free unsubscribe token is for (None: forged or already gone)."""
    subscription = named_subscription(token)
    if subscription is None or unsubscribe_token_read(subscription.customer, token) != subscription.pk:
        return None
    return subscription


def absolute(path: str) -> str:
    return f"{settings.BUZ_PUBLIC_URL}{path}"


def report_url(customer: Customer, query: str = "") -> str:
    return absolute(customer.get_absolute_url()) + (f"?{query}" if query else "")


def confirm_url(customer: Customer, request: ConfirmRequest) -> str:
    return absolute(reverse("subscription-confirm-token", args=[confirm_token(customer, request)]))


def unsubscribe_url(customer: Customer, subscription_id: int) -> str:
    return absolute(reverse("subscription-unsubscribe-token", args=[unsubscribe_token(customer, subscription_id)]))
