"""Who may sign in: existing, active staff through Google; superusers by password (break-glass)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.shortcuts import render

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignInDecision:
    allowed: bool
    reason: str  # "ok", "unverified", "unknown", "inactive" or "ambiguous"
    user: Any = None


def staff_sign_in_decision(*, email: str, email_verified: bool) -> SignInDecision:
    """Only a user who already exists, matched by verified email, and is active. No sign-up."""
    if not email or not email_verified:
        return SignInDecision(False, "unverified")
    users = list(get_user_model().objects.filter(email__iexact=email.strip())[:2])
    if not users:
        return SignInDecision(False, "unknown")
    if len(users) > 1:
        return SignInDecision(False, "ambiguous")
    if not users[0].is_active:
        return SignInDecision(False, "inactive", users[0])
    return SignInDecision(True, "ok", users[0])


def _not_authorised(request: HttpRequest, reason: str) -> ImmediateHttpResponse:
    log.warning("staff sign-in refused (%s)", reason)
    return ImmediateHttpResponse(render(request, "account/not_authorised.html", {"reason": reason}, status=403))


def _google_email(sociallogin: Any) -> tuple[str, bool]:
    for address in sociallogin.email_addresses:
        if address.primary or len(sociallogin.email_addresses) == 1:
            return address.email, bool(address.verified)
    data = sociallogin.account.extra_data or {}
    return data.get("email", ""), bool(data.get("email_verified") or data.get("verified_email"))


class StaffSocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        if sociallogin.is_existing:
            if not sociallogin.user.is_active:
                raise _not_authorised(request, "inactive")
            return
        email, verified = _google_email(sociallogin)
        decision = staff_sign_in_decision(email=email, email_verified=verified)
        if not decision.allowed:
            raise _not_authorised(request, decision.reason)
        # First Google sign-in of an existing user: link the Google account to them.
        sociallogin.connect(request, decision.user)


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


class SuperuserPasswordBackend(ModelBackend):
    """Passwords are the break-glass route: they work for active superusers only.

    A plain ModelBackend on purpose: allauth's own backend keeps the user it
    authenticated and its login flow falls back to that user, which would
    undo the refusal below. Google sign-ins log in through get_user, as usual.
    """

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> Any:
        user = super().authenticate(request, **credentials)
        if user is not None and user.is_superuser:
            return user
        return None
