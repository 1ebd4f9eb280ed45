from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from customers.models import Customer, new_obfuscated_id


def test_new_ids_have_at_least_128_bits_and_are_url_safe():
    ids = {new_obfuscated_id() for _ in range(1000)}
    assert len(ids) == 1000
    for value in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", value)
        assert len(value) * 6 >= 128  # base64url: 6 bits a character


def test_customers_get_a_unique_id_even_when_given_blank(make_customer):
    first = make_customer(obfuscated_id="")
    second = make_customer(display_name="Other")
    assert first.obfuscated_id and second.obfuscated_id
    assert first.obfuscated_id != second.obfuscated_id


def test_legacy_ids_are_kept_as_they_are(make_customer):
    assert make_customer(obfuscated_id="legacy-id_0123456789").obfuscated_id == "legacy-id_0123456789"


def test_ids_are_unique(make_customer):
    make_customer(obfuscated_id="same-id-aaaaaaaaaaaa")
    with pytest.raises(IntegrityError):
        make_customer(display_name="Other", obfuscated_id="same-id-aaaaaaaaaaaa")


def test_a_customer_needs_a_dd_or_cbr_name_said_once(db):
    with pytest.raises(ValidationError) as error:
        Customer(display_name="Nobody").full_clean()
    assert error.value.messages == ["Give a DD name, a CBR name, or both."]
    with pytest.raises(IntegrityError):
        Customer.objects.create(display_name="Nobody")


def test_field_type_is_one_of_the_two_stored_values(db):
    with pytest.raises(IntegrityError):
        Customer.objects.create(display_name="X", dd_name="X", field_type="Customer")


def test_fetch_targets_follow_the_names_and_type(make_customer):
    group = make_customer(dd_name="G", cbr_name="G2", field_type=Customer.CUSTOMER_GROUP)
    assert [(t.instance, t.name, t.is_group) for t in group.fetch_targets] == [("DD", "G", True), ("CBR", "G2", True)]
    cbr_only = make_customer(display_name="C", dd_name="", cbr_name="C")
    assert [t.instance for t in cbr_only.fetch_targets] == ["CBR"]


def test_a_short_legacy_id_passes_validation_so_the_admin_can_save_it(db):
    customer = Customer(display_name="Old Client", dd_name="Old Client", obfuscated_id="Xy9_q")
    customer.full_clean()  # the admin's form runs the model's validators
    customer.save()
    bad = Customer(display_name="Bad", dd_name="Bad", obfuscated_id="has space")
    with pytest.raises(ValidationError):
        bad.full_clean()


def test_display_names_are_unique_ignoring_case_at_every_door(make_customer):
    make_customer(display_name="Murphy Blinds")
    # full_clean (admin form, API and import services): an error on the display_name field.
    with pytest.raises(ValidationError) as error:
        Customer(display_name="MURPHY blinds", dd_name="Other").full_clean()
    assert error.value.message_dict == {"display_name": ["A customer with this name already exists."]}
    # The database itself (shell, bulk writes).
    with pytest.raises(IntegrityError):
        Customer.objects.create(display_name="murphy BLINDS", dd_name="Other")


def test_a_customer_keeps_its_own_name_when_saved_again(make_customer):
    customer = make_customer(display_name="Murphy Blinds")
    customer.display_name = "MURPHY BLINDS"
    customer.full_clean()
    customer.save()


@contextmanager
def connection_without_constraint():
    # Rows as an older database may hold them: the constraint is added by the migration under test.
    constraint = next(c for c in Customer._meta.constraints if c.name == "customer_display_name_unique_ci")
    with connection.schema_editor() as editor:
        editor.remove_constraint(Customer, constraint)
    try:
        yield
    finally:
        with connection.schema_editor() as editor:
            editor.add_constraint(Customer, constraint)


@pytest.mark.django_db(transaction=True)
def test_the_migration_renames_names_that_clash_only_in_case():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("customers.migrations.0004_display_name_unique_ignoring_case")
    with connection_without_constraint():
        Customer.objects.bulk_create(
            [Customer(display_name=name, dd_name="X") for name in ("Acme", "ACME", "acme", "Acme (2)x")]
        )
        migration.rename_names_that_differ_only_in_case(apps, None)
    assert sorted(Customer.objects.values_list("display_name", flat=True)) == [
        "ACME (2)",
        "Acme",
        "Acme (2)x",
        "acme (3)",
    ]
