from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

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


def test_a_customer_needs_a_dd_or_cbr_name(db):
    with pytest.raises(ValidationError):
        Customer(display_name="Nobody").full_clean()
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
