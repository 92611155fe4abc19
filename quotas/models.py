"""Category quotas: a state's policy that gives each category of people a
share of every session's seats (docs/design.md, "How slots are allotted")."""

import datetime
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from registrations.models import PriorityGroup, RationCard

from .shares import WHOLE, Rule


class Policy(models.Model):
    """Shares for the sessions of one age band within a date range. Only a
    state administrator turns it on (the quotas admin)."""

    name_en = models.CharField(_("name in English"), max_length=100)
    name_hi = models.CharField(_("name in Hindi"), max_length=100)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), default=18)
    max_age = models.PositiveSmallIntegerField(
        _("maximum age"), null=True, blank=True, help_text=_("Empty: no upper limit.")
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    active = models.BooleanField(
        _("active"),
        default=False,
        help_text=_("The allocator follows an active policy's shares in its sessions."),
    )

    # The reason says what the categories became when they changed (the
    # admin writes it), whatever its length.
    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    class Meta:
        verbose_name = _("quota policy")
        verbose_name_plural = _("quota policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="policy_dates_in_order"
            ),
            models.CheckConstraint(
                condition=Q(max_age__isnull=True) | Q(max_age__gte=models.F("min_age")),
                name="policy_ages_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_hi if translation.get_language() == "hi" else self.name_en

    def covers(self, *, date: datetime.date, min_age: int, max_age: int | None) -> bool:
        """Whether a session of this day and age band follows this policy:
        the day in the range, the session's band within the policy's."""
        if not self.starts_on <= date <= self.ends_on or min_age < self.min_age:
            return False
        if self.max_age is None:
            return True
        return max_age is not None and max_age <= self.max_age

    def overlaps(self, other: "Policy") -> bool:
        """Whether some session could follow both."""
        if self.ends_on < other.starts_on or other.ends_on < self.starts_on:
            return False
        lows = max(self.min_age, other.min_age)
        highs = [a for a in (self.max_age, other.max_age) if a is not None]
        return not highs or lows <= min(highs)

    def rules(self) -> list[Rule]:
        return [c.rule() for c in self.categories.order_by("position", "id")]


def percent_to_basis_points(share: Decimal) -> int:
    return int(share * 100)


class Category(models.Model):
    """A category of people and its share of each session's seats. A person
    is in the first category of the policy's order they qualify for."""

    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="categories", verbose_name=_("policy")
    )
    position = models.PositiveSmallIntegerField(
        _("order"),
        help_text=_(
            "A person who qualifies for several categories is in the first; equal "
            "remainders in the rounding also go to the first."
        ),
    )
    name_en = models.CharField(_("name in English"), max_length=100)
    name_hi = models.CharField(_("name in Hindi"), max_length=100)
    share = models.DecimalField(
        _("share of seats (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    ration_card = models.CharField(
        _("ration card"),
        max_length=9,
        choices=RationCard.choices,
        blank=True,
        help_text=_("Empty: any."),
    )
    occupation = models.PositiveSmallIntegerField(
        _("occupation"),
        choices=[
            (PriorityGroup.HEALTH_WORKER.value, PriorityGroup.HEALTH_WORKER.label),
            (PriorityGroup.FRONTLINE_WORKER.value, PriorityGroup.FRONTLINE_WORKER.label),
        ],
        null=True,
        blank=True,
        help_text=_("Empty: any."),
    )
    document_en = models.CharField(_("document checked at the centre, in English"), max_length=150)
    document_hi = models.CharField(_("document checked at the centre, in Hindi"), max_length=150)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["policy", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="category_position_once"),
            models.CheckConstraint(
                condition=Q(share__gte=0, share__lte=100), name="category_share_a_percentage"
            ),
            models.CheckConstraint(
                condition=~Q(ration_card="") | Q(occupation__isnull=False),
                name="category_has_a_qualification",
                violation_error_message=_(
                    "Say who qualifies: a ration card, an occupation or both."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_hi if translation.get_language() == "hi" else self.name_en

    @property
    def document(self) -> str:
        return self.document_hi if translation.get_language() == "hi" else self.document_en

    def rule(self) -> Rule:
        return Rule(
            id=self.pk,
            share=percent_to_basis_points(self.share),
            ration_card=self.ration_card,
            occupation=self.occupation,
        )


def shares_add_up(shares: list[Decimal]) -> bool:
    return sum(percent_to_basis_points(s) for s in shares) == WHOLE


class Rollover(models.Model):
    """Seats of a category's share in a session that its category could not
    fill from the people eligible for it, given by the allocator to people of
    another category (or of none). One row per session, giver and taker."""

    session = models.ForeignKey(
        "slots.Session",
        on_delete=models.CASCADE,
        related_name="rollovers",
        verbose_name=_("session"),
    )
    from_category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("from the share of")
    )
    # Null: people in no category.
    to_category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to"),
        db_index=False,  # few rows; read by session
    )
    seats = models.PositiveIntegerField(_("seats"))
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("seats rolled over")
        verbose_name_plural = _("seats rolled over")
        constraints = [
            # The allocator adds to it with ON CONFLICT ON CONSTRAINT.
            models.UniqueConstraint(
                fields=["session", "from_category", "to_category"],
                name="rollover_once",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.from_category_id} -> {self.to_category_id} {self.seats}"
