"""The customer's side of e-mail updates: sign up on the report page, confirm, unsubscribe.

Holding the secret link is what authorises a sign-up (as it authorises seeing the orders);
the address proves itself by following the confirmation link. Confirm and unsubscribe
links show a page with a button on GET (mail scanners follow links) and act on POST.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from customers.models import Customer
from customers.selectors import customer_or_404
from notifications.forms import SubscribeForm
from notifications.links import (
    ConfirmRequest,
    confirm_token_open,
    confirm_token_read,
    named_subscription,
    unsubscribe_token_open,
    unsubscribe_token_read,
)
from notifications.models import Subscription
from notifications.services import (
    confirmation_enqueue,
    subscription_confirm,
    subscription_request,
    subscription_unsubscribe,
)


def _customer_or_404(obfuscated_id: str) -> Customer:
    if not settings.NOTIFICATIONS_ENABLED:
        raise Http404("No such page")
    return customer_or_404(obfuscated_id)


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest, obfuscated_id: str) -> HttpResponse:
    customer = _customer_or_404(obfuscated_id)
    context = {"customer": customer}
    if request.method != "POST":
        context["sent"] = request.GET.get("sent") == "1"
        context["form"] = SubscribeForm()
        return render(request, "notifications/subscribe.html", context)
    form = SubscribeForm(request.POST)
    if form.is_valid():
        try:
            outcome = subscription_request(
                customer=customer,
                email=form.cleaned_data["email"],
                alerts=form.cleaned_data["alerts"],
                digest=form.cleaned_data["digest"],
                min_days=form.cleaned_data["min_days"],
                later_only=form.cleaned_data["later_only"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if outcome.confirmation is not None:
                confirmation_enqueue(outcome.confirmation)
            # The same answer whether or not the address was already subscribed.
            sent = HttpResponseRedirect(reverse("customer-subscribe", args=[customer.obfuscated_id]) + "?sent=1")
            sent.status_code = 303  # See Other: the browser GETs the "check your inbox" page
            return sent
    context["form"] = form
    return render(request, "notifications/subscribe.html", context, status=400)


def _invalid(request: HttpRequest, customer: Customer | None, what: str, *, signup_url: str = "") -> HttpResponse:
    context = {"customer": customer, "what": what, "signup_url": signup_url}
    return render(request, "notifications/link_invalid.html", context, status=400)


def _signup_url(customer: Customer) -> str:
    """Only for the links sent under the customer's own link: the old paths held it already."""
    return reverse("customer-subscribe", args=[customer.obfuscated_id])


def _confirm_page(request: HttpRequest, subscription: Subscription, asked: ConfirmRequest) -> HttpResponse:
    context = {"customer": subscription.customer, "asked": asked}
    if request.method == "POST":
        subscription_confirm(request=asked)
        # Confirmed: now, and only now, the address is shown the customer's page.
        return render(request, "notifications/confirmed.html", context)
    return render(request, "notifications/confirm.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def confirm_by_token(request: HttpRequest, token: str) -> HttpResponse:
    if not settings.NOTIFICATIONS_ENABLED:
        raise Http404("No such page")
    opened = confirm_token_open(token)
    if opened is None:
        return _invalid(request, None, "confirmation")
    return _confirm_page(request, *opened)


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, obfuscated_id: str, token: str) -> HttpResponse:
    """A confirmation link sent before links left out the customer's link (still good for their 7 days)."""
    customer = _customer_or_404(obfuscated_id)
    asked = confirm_token_read(customer, token)
    subscription = asked and Subscription.objects.filter(pk=asked.subscription_id, customer=customer).first()
    if not subscription:
        return _invalid(request, customer, "confirmation", signup_url=_signup_url(customer))
    return _confirm_page(request, subscription, asked)


def _unsubscribe_page(
    request: HttpRequest, customer: Customer, subscription_id: int, *, signup_url: str = ""
) -> HttpResponse:
    context = {"customer": customer, "signup_url": signup_url}
    if request.method == "POST":
        context["was_subscribed"] = subscription_unsubscribe(subscription_id=subscription_id)
        return render(request, "notifications/unsubscribed.html", context)
    context["subscribed"] = Subscription.objects.filter(pk=subscription_id, customer=customer).exists()
    return render(request, "notifications/unsubscribe.html", context)


# Mail clients' one-click unsubscribe (RFC 8058) POSTs here without a cookie or CSRF token:
# the signed token in the URL is the authority, and all it can do is delete.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_by_token(request: HttpRequest, token: str) -> HttpResponse:
    if not settings.NOTIFICATIONS_ENABLED:
        raise Http404("No such page")
    subscription = unsubscribe_token_open(token)
    if subscription is not None:
        return _unsubscribe_page(request, subscription.customer, subscription.pk)
    if named_subscription(token) is not None:
        return _invalid(request, None, "unsubscribe")  # a forged token, or one from before a new link
    # Already unsubscribed (the row went with it): nothing more is sent, and nothing is named.
    return render(request, "notifications/unsubscribed.html", {"customer": None, "was_subscribed": False})


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, obfuscated_id: str, token: str) -> HttpResponse:
    """An unsubscribe link sent under the customer's link (before links left it out)."""
    customer = _customer_or_404(obfuscated_id)
    subscription_id = unsubscribe_token_read(customer, token)
    if subscription_id is None:
        return _invalid(request, customer, "unsubscribe")
    return _unsubscribe_page(request, customer, subscription_id, signup_url=_signup_url(customer))
