"""Who may act as staff: the two roles (Django groups `admin` and `user`) and the one check every staff
page makes. What each role may do is wired at the top floor (buzeta/staff/roles.py)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

ROLE_ADMIN = "admin"
ROLE_USER = "user"
ROLES = (ROLE_ADMIN, ROLE_USER)


def has_staff_role(user: Any) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name__in=ROLES).exists()


def staff_role_required(view: Callable) -> Callable:
    """A staff page: signed in (else the sign-in page), with a role (else 403)."""

    @login_required
    @wraps(view)
    def checked(request, *args, **kwargs):
        if not has_staff_role(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return checked
