"""What each staff role may do (the roles and their check: audit/roles.py): `admin` everything, `user`
customers and statuses, view jobs. Kept in step with every app's models after each migrate."""

from __future__ import annotations

from typing import Any

from audit.roles import ROLE_ADMIN, ROLE_USER

# (app_label, model, actions) the `user` role may use. No users, groups or API keys.
USER_ROLE_PERMISSIONS = [
    ("customers", "customer", ("add", "change", "delete", "view")),
    ("statuses", "statusmapping", ("add", "change", "delete", "view")),
    ("reports", "reportjob", ("view",)),
    ("odata", "upstreamcache", ("view",)),
    ("history", "ordereta", ("view",)),
    ("history", "etachange", ("view",)),
    ("notifications", "subscription", ("add", "change", "delete", "view")),
    ("notifications", "delivery", ("view",)),
]


def roles_sync(group_model: Any, permission_model: Any) -> None:
    """Create or update both groups; safe to run any number of times."""
    admin, _ = group_model.objects.get_or_create(name=ROLE_ADMIN)
    admin.permissions.set(permission_model.objects.all())
    user, _ = group_model.objects.get_or_create(name=ROLE_USER)
    wanted = []
    for app_label, model, actions in USER_ROLE_PERMISSIONS:
        codenames = [f"{action}_{model}" for action in actions]
        wanted += list(permission_model.objects.filter(content_type__app_label=app_label, codename__in=codenames))
    user.permissions.set(wanted)


def roles_sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    # Connected for this app only; permissions of apps migrated after it are created here first.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    roles_sync(Group, Permission)
