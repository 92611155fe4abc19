"""Chhattisgarh's geography: district, then area (block or town), then locality.

Urban wards belong to a town (an urban local body), which lies outside the
block structure; villages belong to a block. Both kinds of area hang off the
district, so a citizen always picks district, then block or town, then village
or ward.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def _localised(name_en: str, name_hi: str) -> str:
    if get_language() == "hi" and name_hi:
        return name_hi
    return name_en or name_hi


class District(models.Model):
    lgd_code = models.PositiveIntegerField(_("LGD code"), primary_key=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_hi = models.CharField(_("name (Hindi)"), max_length=100)
    cowin_district_id = models.PositiveIntegerField(null=True, blank=True)
    population_2011 = models.PositiveIntegerField(
        _("population (Census 2011, 2011 boundaries)"), null=True, blank=True
    )

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localised(self.name_en.title(), self.name_hi)


class Area(models.Model):
    class Kind(models.TextChoices):
        BLOCK = "block", _("Block")
        TOWN = "town", _("Town")

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="areas")
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    lgd_code = models.PositiveIntegerField(_("LGD code"))
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_hi = models.CharField(_("name (Hindi)"), max_length=100)

    class Meta:
        ordering = ["kind", "name_en"]
        verbose_name = _("block or town")
        verbose_name_plural = _("blocks and towns")
        constraints = [
            # Block and ULB codes are separate LGD code lists.
            models.UniqueConstraint(fields=["kind", "lgd_code"], name="area_unique_lgd"),
            # Target of the composite foreign keys that keep rows in one district.
            models.UniqueConstraint(fields=["id", "district"], name="area_id_district"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localised(self.name_en.title(), self.name_hi)


class Locality(models.Model):
    class Kind(models.TextChoices):
        VILLAGE = "village", _("Village")
        WARD = "ward", _("Ward")

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="localities")
    kind = models.CharField(_("kind"), max_length=7, choices=Kind.choices)
    # Villages are in Latin script in the source, wards in Devanagari.
    name = models.CharField(_("name"), max_length=150)
    gram_panchayat = models.CharField(_("gram panchayat"), max_length=150, blank=True)
    pincode = models.CharField(_("PIN code"), max_length=6, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("village or ward")
        verbose_name_plural = _("villages and wards")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "gram_panchayat", "name"], name="locality_natural_key"
            ),
            models.UniqueConstraint(fields=["id", "area"], name="locality_id_area"),
        ]

    def __str__(self) -> str:
        if self.gram_panchayat and self.gram_panchayat != self.name:
            return f"{self.name} ({self.gram_panchayat})"
        return self.name


class OfficialProfile(models.Model):
    """Binds a staff user to the districts they may see and change."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="official"
    )
    districts = models.ManyToManyField(District, blank=True, related_name="officials")

    class Meta:
        verbose_name = _("official profile")

    def __str__(self) -> str:
        return str(self.user)
