from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from customers.links import LINK_ID_MAX_LENGTH, LINK_ID_PATTERN, new_obfuscated_id
from odata.targets import FetchTarget

obfuscated_id_validator = RegexValidator(
    f"^{LINK_ID_PATTERN}$",
    f"Use up to {LINK_ID_MAX_LENGTH} letters, digits, '-' or '_'.",
)


class Customer(models.Model):
    CUSTOMER_NAME = "Customer Name"
    CUSTOMER_GROUP = "Customer Group"
    FIELD_TYPE_CHOICES = [
        (CUSTOMER_NAME, "Customer name (one BuzManager customer)"),
        (CUSTOMER_GROUP, "Customer group (every customer in the group)"),
    ]

    display_name = models.CharField(max_length=200, help_text="Shown to the customer on their page.")
    dd_name = models.CharField(
        "DD name", max_length=200, blank=True, help_text="Exact customer or group name in BuzManager DD."
    )
    cbr_name = models.CharField(
        "CBR name", max_length=200, blank=True, help_text="Exact customer or group name in BuzManager CBR."
    )
    field_type = models.CharField(max_length=20, choices=FIELD_TYPE_CHOICES, default=CUSTOMER_NAME)
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
            ),
            models.CheckConstraint(
                condition=models.Q(field_type__in=["Customer Name", "Customer Group"]),
                name="customer_field_type_valid",
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
        return f"/{self.obfuscated_id}"

    def clean(self) -> None:
        self.display_name = self.display_name.strip()
        self.dd_name = self.dd_name.strip()
        self.cbr_name = self.cbr_name.strip()
        if not self.dd_name and not self.cbr_name:
            raise ValidationError("Give a DD name, a CBR name, or both.")

    @property
    def is_group(self) -> bool:
        return self.field_type == self.CUSTOMER_GROUP

    @property
    def fetch_targets(self) -> list[FetchTarget]:
        targets = []
        if self.dd_name:
            targets.append(FetchTarget("DD", self.dd_name, self.is_group))
        if self.cbr_name:
            targets.append(FetchTarget("CBR", self.cbr_name, self.is_group))
        return targets
