from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from customers.links import LINK_ID_MAX_LENGTH, LINK_ID_PATTERN, link_path, new_obfuscated_id
from odata.targets import INSTANCES, FetchTarget

obfuscated_id_validator = RegexValidator(
    f"^{LINK_ID_PATTERN}$",
    f"Use up to {LINK_ID_MAX_LENGTH} letters, digits, '-' or '_'.",
)
# No line breaks, NUL or other control characters in a name: none belongs there, PostgreSQL
# refuses NUL, and a name goes into e-mail subjects and file names. The API's schema says the same.
PLAIN_TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
plain_text_validator = RegexValidator(PLAIN_TEXT_PATTERN, "Line breaks and other control characters are not allowed.")


class FieldType(models.TextChoices):
    """What a customer's BuzManager names are: one customer, or a group (other tools read the stored values)."""

    CUSTOMER_NAME = "Customer Name", "Customer name (one BuzManager customer)"
    CUSTOMER_GROUP = "Customer Group", "Customer group (every customer in the group)"


CUSTOMER_NAME = FieldType.CUSTOMER_NAME
CUSTOMER_GROUP = FieldType.CUSTOMER_GROUP
# Which field holds a customer's name in each BuzManager account.
ACCOUNT_NAME_FIELDS = {"DD": "dd_name", "CBR": "cbr_name"}
DISPLAY_NAME_TAKEN = "A customer with this name already exists."
DISPLAY_NAME_TAKEN_CODE = "display_name_taken"
NO_ACCOUNT_NAME_CODE = "no_account_name"


def has_account_name(dd_name: str | None, cbr_name: str | None) -> bool:
    """A customer needs a DD name, a CBR name, or both (the database holds the rule as a constraint too)."""
    return bool((dd_name or "").strip() or (cbr_name or "").strip())


def display_name_from(dd_name: str, cbr_name: str) -> str:
    """A customer's display name when none is given: its DD name, else its CBR name (as the old app did)."""
    return (dd_name or "").strip() or (cbr_name or "").strip()


class Customer(models.Model):
    CUSTOMER_NAME = CUSTOMER_NAME
    CUSTOMER_GROUP = CUSTOMER_GROUP

    display_name = models.CharField(
        max_length=200, validators=[plain_text_validator], help_text="Shown to the customer on their page."
    )
    dd_name = models.CharField(
        "DD name",
        max_length=200,
        blank=True,
        validators=[plain_text_validator],
        help_text="Exact customer or group name in BuzManager DD.",
    )
    cbr_name = models.CharField(
        "CBR name",
        max_length=200,
        blank=True,
        validators=[plain_text_validator],
        help_text="Exact customer or group name in BuzManager CBR.",
    )
    field_type = models.CharField(max_length=20, choices=FieldType.choices, default=FieldType.CUSTOMER_NAME)
    obfuscated_id = models.CharField(
        max_length=LINK_ID_MAX_LENGTH,
        unique=True,
        blank=True,
        default=new_obfuscated_id,
        validators=[obfuscated_id_validator],
        help_text="The secret part of the customer's link.",
    )
    last_viewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    view_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(dd_name="") & models.Q(cbr_name="")),
                name="customer_has_an_account_name",
                violation_error_message="Give a DD name, a CBR name, or both.",
                violation_error_code=NO_ACCOUNT_NAME_CODE,
            ),
            models.CheckConstraint(
                condition=models.Q(field_type__in=FieldType.values),
                name="customer_field_type_valid",
            ),
            # Two customers whose names differ only in case would be indistinguishable to staff.
            models.UniqueConstraint(
                Lower("display_name"),
                name="customer_display_name_unique_ci",
                violation_error_message=DISPLAY_NAME_TAKEN,
                violation_error_code=DISPLAY_NAME_TAKEN_CODE,
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs) -> None:
        # The id is an invariant of the row: never stored blank.
        if not self.obfuscated_id:
            self.obfuscated_id = new_obfuscated_id()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return link_path(self.obfuscated_id)

    def clean(self) -> None:
        # The "a DD or CBR name" and unique-name rules are constraints above: full_clean checks them once.
        self.display_name = self.display_name.strip()
        self.dd_name = self.dd_name.strip()
        self.cbr_name = self.cbr_name.strip()

    def validate_constraints(self, exclude=None) -> None:
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            # The unique-name constraint is on an expression, so Django reports it for the whole
            # row; it belongs to the display_name field (the admin shows it there, the API names it).
            errors = error.update_error_dict({})
            general = errors.pop(NON_FIELD_ERRORS, [])
            for message in general:
                field = "display_name" if message.code == DISPLAY_NAME_TAKEN_CODE else NON_FIELD_ERRORS
                errors.setdefault(field, []).append(message)
            raise ValidationError(errors) from None

    @property
    def is_group(self) -> bool:
        return self.field_type == self.CUSTOMER_GROUP

    @property
    def fetch_targets(self) -> list[FetchTarget]:
        return [FetchTarget(instance, name, self.is_group) for instance, name in self.account_names.items() if name]

    @property
    def account_names(self) -> dict[str, str]:
        """This customer's name in each BuzManager account (blank where it has none)."""
        return {instance: getattr(self, ACCOUNT_NAME_FIELDS[instance]) for instance in INSTANCES}
