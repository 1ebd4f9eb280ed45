"""Importing the Flask app's SQLite database: customers (ids kept exactly), users, status mappings.

The file is opened read-only and checked whole before anything is written;
the writes happen in one transaction, so an import changes everything or
nothing. Running it twice changes nothing the second time.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditEvent
from audit.roles import ROLE_ADMIN, ROLE_USER
from audit.services import Actor, audit_record, changes_between
from customers.links import LINK_ID_PATTERN
from customers.models import Customer, display_name_from, has_account_name
from customers.services import customer_free_display_name, customer_save
from statuses.models import StatusMapping
from statuses.services import status_mapping_save

REQUIRED_COLUMNS = {
    "customers": {"obfuscated_id", "dd_name", "cbr_name", "field_type"},
    "users": {"email", "name", "role", "active"},
    "status_mapping": {"odata_status", "custom_status", "active"},
}
LEGACY_ID = re.compile(f"^{LINK_ID_PATTERN}$")  # anything the URL patterns can route
FIELD_TYPES = {
    "customer name": Customer.CUSTOMER_NAME,
    "customer": Customer.CUSTOMER_NAME,  # older files
    "customer group": Customer.CUSTOMER_GROUP,
}
ROLE_NAMES = {"admin": ROLE_ADMIN, "user": ROLE_USER}


class LegacyImportError(Exception):
    pass


@dataclass
class LegacyImport:
    changes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def summary(self) -> str:
        if not self.counts:
            return "nothing to import"
        return ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items()))


# --- reading ------------------------------------------------------------------------------------


def _clean(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _flag(value: Any, where: str) -> bool:
    text = _clean(value).lower()
    if text in ("1", "true", "yes", "t", "y", ""):
        return True  # an empty flag in the old app meant the default: active
    if text in ("0", "false", "no", "f", "n"):
        return False
    raise LegacyImportError(f"{where}: active must be 0 or 1, not {value!r}")


def read_legacy(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of the three tables, checked; raises LegacyImportError with the reason."""
    if not Path(path).is_file():
        raise LegacyImportError(f"{path}: no such file")
    try:
        db = sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise LegacyImportError(f"{path}: cannot open ({exc})") from exc
    try:
        db.row_factory = sqlite3.Row
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        data = {}
        for table, required in REQUIRED_COLUMNS.items():
            if table not in tables:
                raise LegacyImportError(f"{path}: table '{table}' is missing")
            columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            if missing := required - columns:
                raise LegacyImportError(f"{path}: table '{table}' lacks column(s) {', '.join(sorted(missing))}")
            data[table] = [dict(row) for row in db.execute(f"SELECT * FROM {table}")]  # noqa: S608 - fixed names
    except sqlite3.DatabaseError as exc:
        raise LegacyImportError(f"{path}: not a readable SQLite database ({exc})") from exc
    finally:
        db.close()
    return data


def _customers(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    seen: set[str] = set()
    customers = []
    for row in rows:
        where = f"customers row id={row.get('id')}"
        obfuscated_id = _clean(row["obfuscated_id"])
        if not LEGACY_ID.match(obfuscated_id):
            raise LegacyImportError(f"{where}: obfuscated_id {obfuscated_id!r} cannot be used in a link")
        if obfuscated_id in seen:
            raise LegacyImportError(f"{where}: obfuscated_id {obfuscated_id!r} appears twice")
        seen.add(obfuscated_id)
        dd_name, cbr_name = _clean(row["dd_name"]), _clean(row["cbr_name"])
        if not has_account_name(dd_name, cbr_name):
            raise LegacyImportError(f"{where}: neither dd_name nor cbr_name is set")
        field_type = FIELD_TYPES.get(_clean(row["field_type"]).lower())
        if field_type is None:
            raise LegacyImportError(f"{where}: unknown field_type {row['field_type']!r}")
        display_name = _clean(row.get("display_name")) or display_name_from(dd_name, cbr_name)
        customers.append(
            {
                "obfuscated_id": obfuscated_id,
                "display_name": display_name[:200],
                "dd_name": dd_name[:200],
                "cbr_name": cbr_name[:200],
                "field_type": field_type,
            }
        )
    return customers


def _users(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    users = []
    for row in rows:
        where = f"users row id={row.get('id')}"
        email = _clean(row["email"]).lower()
        if "@" not in email:
            raise LegacyImportError(f"{where}: {row['email']!r} is not an email address")
        if email in seen:
            raise LegacyImportError(f"{where}: email {email} appears twice")
        seen.add(email)
        role = ROLE_NAMES.get(_clean(row["role"]).lower())
        if role is None:
            raise LegacyImportError(f"{where}: unknown role {row['role']!r} (expected admin or user)")
        first, _, last = _clean(row["name"]).partition(" ")
        users.append(
            {
                "email": email,
                "first_name": first[:150],
                "last_name": last.strip()[:150],
                "role": role,
                "is_active": _flag(row["active"], where),
            }
        )
    return users


def _statuses(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    statuses = []
    for row in rows:
        where = f"status_mapping row id={row.get('id')}"
        odata_status = _clean(row["odata_status"])
        if not odata_status:
            raise LegacyImportError(f"{where}: odata_status is empty")
        if odata_status in seen:
            raise LegacyImportError(f"{where}: odata_status {odata_status!r} appears twice")
        seen.add(odata_status)
        statuses.append(
            {
                "odata_status": odata_status[:200],
                "custom_status": _clean(row["custom_status"])[:200] or odata_status[:200],
                "active": _flag(row["active"], where),
            }
        )
    return statuses


# --- writing ----------------------------------------------------------------------------------------


def _upsert(model, lookup: dict[str, Any], values: dict[str, Any], label: str, result: LegacyImport, save):
    """Create or update one row through `save` (the model's service), noting what changed."""
    obj = model.objects.filter(**lookup).first()
    created = obj is None
    if created:
        obj = model(**lookup)
        changed = values
    else:
        changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
        if not changed:
            return obj
        what = ", ".join(f"{k} {getattr(obj, k)!r} → {v!r}" for k, v in changed.items())
    for key, value in changed.items():
        setattr(obj, key, value)
    try:
        save(obj)
    except ValidationError as exc:
        raise LegacyImportError(f"{label}: {'; '.join(exc.messages)}") from None
    plural = model._meta.verbose_name_plural
    if created:
        result.changes.append(f"+ {label}")
        result.count(f"{plural} created")
    else:
        result.changes.append(f"~ {label}: {what}")
        result.count(f"{plural} updated")
    return obj


def _user_save(user: User, actor: Actor) -> None:
    # Users have no service of their own here: the import records its change itself.
    stored = User.objects.filter(pk=user.pk).first() if user.pk else None
    fields = ("email", "first_name", "last_name", "is_active", "is_staff")
    before = {f: getattr(stored, f) for f in fields} if stored else {}
    if stored is None:
        user.set_unusable_password()  # staff sign in with Google; passwords are never imported
    user.save()
    changes = changes_between(before, {f: getattr(user, f) for f in fields})
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CHANGED if stored else AuditEvent.Action.CREATED,
        obj=user,
        changes=changes,
    )


def legacy_import(path: Path, *, actor: Actor, dry_run: bool = False) -> LegacyImport:
    data = read_legacy(path)
    customers, users, statuses = _customers(data["customers"]), _users(data["users"]), _statuses(data["status_mapping"])
    result = LegacyImport()
    groups = {name: Group.objects.get(name=name) for name in ROLE_NAMES.values()}
    with transaction.atomic():
        for values in customers:
            lookup = {"obfuscated_id": values.pop("obfuscated_id")}
            existing = Customer.objects.filter(**lookup).values_list("pk", flat=True).first()
            # Names that differ only in case are one name here; a clash gets a " (2)" rather than failing the import.
            values["display_name"] = customer_free_display_name(values["display_name"], exclude_pk=existing)
            label = f"customer {values['display_name']}"
            _upsert(Customer, lookup, values, label, result, lambda c: customer_save(customer=c, actor=actor))
        for values in users:
            role = values.pop("role")
            existing = User.objects.filter(email__iexact=values["email"]).first()
            lookup = {"pk": existing.pk} if existing else {"username": values["email"][:150]}
            values = {**values, "is_staff": True}
            user = _upsert(User, lookup, values, f"user {values['email']}", result, lambda u: _user_save(u, actor))
            current = set(user.groups.filter(name__in=ROLE_NAMES.values()).values_list("name", flat=True))
            if current != {role}:
                user.groups.remove(*[groups[name] for name in current])
                user.groups.add(groups[role])
                result.changes.append(f"~ user {values['email']}: role {sorted(current) or '-'} → {role}")
                audit_record(
                    actor=actor,
                    action=AuditEvent.Action.CHANGED,
                    obj=user,
                    changes={"role": [sorted(current) or None, role]},
                )
                result.count("roles set")
        for values in statuses:
            lookup = {"odata_status": values.pop("odata_status")}
            save = lambda m: status_mapping_save(mapping=m, actor=actor)  # noqa: E731
            _upsert(StatusMapping, lookup, values, f"status {lookup['odata_status']}", result, save)
        if dry_run:
            transaction.set_rollback(True)
    return result
