"""import_legacy on hand-made Flask databases: awkward data, twice, dry run, and refusals."""

from __future__ import annotations

import hashlib
import os
import sqlite3

import pytest
import responses
from django.contrib.auth.models import User

from customers.models import Customer
from statuses.models import StatusMapping
from tests.conftest import DD_ROOT, run_command

OLD_ID = "Xy9_legacy-Link-0001"  # the Flask app's ids are kept exactly


def legacy_db(path, *, display_name=True, customers=None, users=None, statuses=None, drop=None):
    db = sqlite3.connect(path)
    name_col = ", display_name TEXT" if display_name else ""
    columns = f"id INTEGER PRIMARY KEY, dd_name TEXT, cbr_name TEXT, obfuscated_id TEXT, field_type TEXT{name_col}"
    db.execute(f"CREATE TABLE customers ({columns})")
    db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, role TEXT, active INTEGER)")
    db.execute(
        "CREATE TABLE status_mapping (id INTEGER PRIMARY KEY, odata_status TEXT, custom_status TEXT, active INTEGER)"
    )
    for row in (
        customers
        if customers is not None
        else [
            ("O'Brien's Curtains", "", OLD_ID, "Customer", "O'Brien's \"Best\" Curtains"),
            ("", "Café Décor Pty Ltd", "cbr-only-link-000002", "Customer Name", None),
            ("Coastal Living Group", "Coastal Living Group", "group-link-00000003", "Customer Group", "Coastal Living"),
        ]
    ):
        if display_name:
            db.execute(
                "INSERT INTO customers (dd_name, cbr_name, obfuscated_id, field_type, display_name) VALUES (?,?,?,?,?)",
                row,
            )
        else:
            db.execute("INSERT INTO customers (dd_name, cbr_name, obfuscated_id, field_type) VALUES (?,?,?,?)", row[:4])
    for row in (
        users
        if users is not None
        else [
            ("Alice@Example.com", "Alice Ng", "admin", 1),
            ("zoë@example.com", "Zoë Müller-Smith", "user", 0),
        ]
    ):
        db.execute("INSERT INTO users (email, name, role, active) VALUES (?,?,?,?)", row)
    for row in statuses if statuses is not None else [("Fabric Cut", "Being made", 1), ("On Hold", "Paused", 0)]:
        db.execute("INSERT INTO status_mapping (odata_status, custom_status, active) VALUES (?,?,?)", row)
    if drop:
        db.execute(f"DROP TABLE {drop}")
    db.commit()
    db.close()
    return path


def digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_import_keeps_ids_maps_types_and_roles_and_never_sets_passwords(db, tmp_path):
    path = legacy_db(tmp_path / "legacy.db")
    output, code = run_command("import_legacy", str(path))
    assert code == 0

    obrien = Customer.objects.get(obfuscated_id=OLD_ID)
    assert (obrien.display_name, obrien.dd_name, obrien.field_type) == (
        "O'Brien's \"Best\" Curtains",
        "O'Brien's Curtains",
        "Customer Name",
    )
    cafe = Customer.objects.get(obfuscated_id="cbr-only-link-000002")
    assert (cafe.display_name, cafe.cbr_name, cafe.dd_name) == ("Café Décor Pty Ltd", "Café Décor Pty Ltd", "")
    assert Customer.objects.get(obfuscated_id="group-link-00000003").field_type == "Customer Group"

    alice = User.objects.get(email="alice@example.com")
    assert (alice.first_name, alice.is_active, alice.is_staff) == ("Alice", True, True)
    assert list(alice.groups.values_list("name", flat=True)) == ["admin"]
    assert not alice.has_usable_password()
    zoe = User.objects.get(email="zoë@example.com")
    assert (zoe.last_name, zoe.is_active, list(zoe.groups.values_list("name", flat=True))) == (
        "Müller-Smith",
        False,
        ["user"],
    )

    assert set(StatusMapping.objects.values_list("odata_status", "custom_status", "active")) == {
        ("Fabric Cut", "Being made", True),
        ("On Hold", "Paused", False),
    }
    assert "+ customer O'Brien's" in output


def test_import_twice_changes_nothing_the_second_time(db, tmp_path):
    path = legacy_db(tmp_path / "legacy.db")
    run_command("import_legacy", str(path))
    output, code = run_command("import_legacy", str(path))
    assert code == 0 and output.strip() == "nothing to import"
    assert Customer.objects.count() == 3 and User.objects.count() == 2 and StatusMapping.objects.count() == 2


def test_import_updates_what_changed_and_keeps_passwords(db, tmp_path):
    user = User.objects.create_user("alice", email="alice@example.com", password="break-glass-pass")
    Customer.objects.create(display_name="Old name", dd_name="O'Brien's Curtains", obfuscated_id=OLD_ID)
    output, _ = run_command("import_legacy", str(legacy_db(tmp_path / "legacy.db")))
    assert "~ customer O'Brien's \"Best\" Curtains: display_name 'Old name'" in output
    user.refresh_from_db()
    assert user.check_password("break-glass-pass") and user.username == "alice"


def test_dry_run_prints_the_changes_and_makes_none(db, tmp_path):
    output, code = run_command("import_legacy", str(legacy_db(tmp_path / "legacy.db")), dry_run=True)
    assert code == 0 and "dry run, nothing changed" in output and "+ customer Coastal Living" in output
    assert Customer.objects.count() == 0 and User.objects.count() == 0 and StatusMapping.objects.count() == 0


def test_old_files_without_display_name_are_imported(db, tmp_path):
    run_command("import_legacy", str(legacy_db(tmp_path / "old.db", display_name=False)))
    assert Customer.objects.get(obfuscated_id=OLD_ID).display_name == "O'Brien's Curtains"


def test_the_file_is_opened_read_only(db, tmp_path):
    path = legacy_db(tmp_path / "legacy.db")
    before = digest(path)
    os.chmod(path, 0o444)
    assert run_command("import_legacy", str(path))[1] == 0
    assert digest(path) == before


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b"this is not a database at all" * 100) and p, "not a readable SQLite database"),
        (lambda p: legacy_db(p, drop="users"), "table 'users' is missing"),
        (
            lambda p: legacy_db(
                p,
                customers=[
                    ("A", "", "same-id-000000000001", "Customer Name", "A"),
                    ("B", "", "same-id-000000000001", "Customer Name", "B"),
                ],
            ),
            "appears twice",
        ),
        (lambda p: legacy_db(p, customers=[("A", "", "bad id!", "Customer Name", "A")]), "cannot be used in a link"),
        (lambda p: legacy_db(p, users=[("x@example.com", "X", "superhero", 1)]), "unknown role"),
        (lambda p: legacy_db(p, customers=[("A", "", "fine-id-000000000001", "Supplier", "A")]), "unknown field_type"),
    ],
)
def test_bad_files_are_refused_with_a_clear_error_and_no_change(db, tmp_path, make, message):
    Customer.objects.create(display_name="Existing", dd_name="Existing")
    path = tmp_path / "legacy.db"
    make(path)
    output, code = run_command("import_legacy", str(path))
    assert code == 1 and message in output and "nothing imported" in output
    assert Customer.objects.count() == 1 and User.objects.count() == 0 and StatusMapping.objects.count() == 0


def test_a_missing_file_is_refused(db, tmp_path):
    output, code = run_command("import_legacy", str(tmp_path / "nope.db"))
    assert code == 1 and "no such file" in output


@responses.activate
@pytest.mark.parametrize(
    "path",
    [
        f"/{OLD_ID}",
        f"/etas/{OLD_ID}",
        f"/{OLD_ID}/download.csv",
        f"/etas/{OLD_ID}/download.xlsx",
        f"/{OLD_ID}/",
        f"/sync/{OLD_ID}",
    ],
)
def test_old_links_keep_working_on_an_imported_id(db, tmp_path, client, open_report, path):
    run_command("import_legacy", str(legacy_db(tmp_path / "legacy.db")))
    responses.get(
        f"{DD_ROOT}/JobsScheduleDetailed",
        json={"value": [{"RefNo": "1", "FixedLine": 1, "ProductionStatus": "Sewing"}]},
    )
    response = open_report(client, path) if "download" not in path else client.get(path)
    assert response.status_code == 200


def test_names_that_differ_only_in_case_are_kept_apart_not_refused(db, tmp_path):
    rows = [
        ("Murphy Blinds", "", "murphy-link-00000001", "Customer Name", "Murphy Blinds"),
        ("MURPHY BLINDS", "", "murphy-link-00000002", "Customer Group", "MURPHY BLINDS"),
    ]
    path = legacy_db(tmp_path / "legacy.db", customers=rows)
    output, code = run_command("import_legacy", str(path))
    assert code == 0, output
    assert dict(Customer.objects.values_list("obfuscated_id", "display_name")) == {
        "murphy-link-00000001": "Murphy Blinds",
        "murphy-link-00000002": "MURPHY BLINDS (2)",
    }
    assert run_command("import_legacy", str(path)) == ("nothing to import\n", 0)  # still idempotent
