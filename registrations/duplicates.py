"""Possible duplicates and marking one registration as a duplicate of another.

Two rows are possibly one person when they share name, year of birth and
village or ward, or the same mobile. The official decides; the kept row takes
the earlier of the two queue places so nobody loses their turn by it.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import NormalFormFlag, Registration

LIVE = ~Q(status__in=[Registration.Status.WITHDRAWN, Registration.Status.DUPLICATE])


class DuplicateRefused(Exception):  # noqa: N818 (a refusal, like RegistrationRefused)
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class DuplicateGroup:
    why: str
    registrations: list[Registration]
    # The stored-number flag behind the group, which an official can mark checked.
    flag: NormalFormFlag | None = None


def _rows(queryset: QuerySet, condition: Q) -> QuerySet:
    return (
        queryset.filter(condition)
        .filter(LIVE)
        .select_related("account", "area", "locality")
        .order_by("priority", "queue_at", "reference")
    )


def same_person_groups(queryset: QuerySet, *, limit: int = 50) -> list[DuplicateGroup]:
    keys = (
        queryset.filter(LIVE)
        .annotate(lname=Lower("name"))
        .values("district_id", "locality_id", "lname", "birth_year")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        # In the order of reg_district_person, which the database walks and
        # groups as it goes, stopping at `limit` groups: grouping every
        # registration of the state first took seconds (docs/performance.md).
        .order_by("district_id", "locality_id", "lname", "birth_year")[:limit]
    )
    groups = []
    for key in keys:
        # The key as reg_district_person holds it, so each group is one index lookup.
        condition = Q(
            Exact(Lower("name"), key["lname"]),
            district_id=key["district_id"],
            locality_id=key["locality_id"],
            birth_year=key["birth_year"],
        )
        groups.append(
            DuplicateGroup(
                _("Same name, year of birth and village or ward"), list(_rows(queryset, condition))
            )
        )
    return groups


def same_mobile_groups(queryset: QuerySet, *, limit: int = 50) -> list[DuplicateGroup]:
    keys = (
        queryset.filter(LIVE, account__isnull=False)
        .values("account_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by("account_id")[:limit]
    )
    return [
        DuplicateGroup(_("Same mobile"), list(_rows(queryset, Q(account_id=key["account_id"]))))
        for key in keys
    ]


def normal_form_groups(queryset: QuerySet, *, limit: int = 50) -> list[DuplicateGroup]:
    """Rows stored before every spelling of a number was one number
    (registrations.stored_numbers), each with the rows it may duplicate."""
    flags = visible_flags(queryset).select_related("registration").order_by("pk")[:limit]
    return [DuplicateGroup(_flag_reason(flag), _flag_rows(queryset, flag), flag) for flag in flags]


def visible_flags(queryset: QuerySet) -> QuerySet:
    """Unchecked flags about the rows of `queryset` (an official's districts)."""
    about = Q(registration__in=queryset.filter(LIVE)) | Q(account__registrations__in=queryset)
    return NormalFormFlag.objects.filter(about, checked_at=None).distinct()


def _flag_rows(queryset: QuerySet, flag: NormalFormFlag) -> list[Registration]:
    if flag.kind == NormalFormFlag.Kind.ID_SPELLING:
        # Its ID cannot be hashed again: the same ID type, last 4 and year of
        # birth are what is left to compare.
        found = flag.registration
        condition = Q(pk=found.pk) | Q(
            id_type=found.id_type, id_last4=found.id_last4, birth_year=found.birth_year
        )
    else:
        condition = Q(account_id__in=[flag.account_id, flag.other_account_id])
    return list(_rows(queryset, condition))


def _flag_reason(flag: NormalFormFlag) -> str:
    if flag.kind == NormalFormFlag.Kind.ID_SPELLING:
        return _(
            "The ID number of %(ref)s was typed in Devanagari or other digits before these "
            "were read as one: the same ID typed again in English digits would not have been "
            "caught. Compare it with the others of the same ID type, last 4 and year of birth, "
            "or ask to see the card."
        ) % {"ref": flag.registration.display_reference}
    if flag.kind == NormalFormFlag.Kind.MOBILE_CLASH:
        return _(
            "Two accounts have one mobile number, one of them typed in other digits. They "
            "were not merged: move the people to the right account through the help desk."
        )
    return _(
        "The account's mobile (%(mobile)s) is not a mobile number, so SMS cannot reach these "
        "people: move them to their mobile through the help desk."
    ) % {"mobile": flag.detail}


def mark_checked(*, flag: NormalFormFlag, by: User) -> None:
    """An official has looked at a stored-number flag; it leaves the list."""
    NormalFormFlag.objects.filter(pk=flag.pk, checked_at=None).update(
        checked_at=timezone.now(), checked_by=by
    )


def mark_duplicate(
    *, duplicate: Registration, original: Registration, by: User, reason: str
) -> None:
    """`duplicate` leaves the queue; `original` keeps the earlier queue place."""
    if duplicate.pk == original.pk:
        raise DuplicateRefused(_("A registration cannot be a duplicate of itself."))
    with transaction.atomic():
        first, second = sorted([duplicate.pk, original.pk])
        locked = Registration.objects.select_for_update().in_bulk([first, second])
        dup, keep = locked[duplicate.pk], locked[original.pk]
        _check_can_merge(dup, keep)
        keep.queue_at = min(keep.queue_at, dup.queue_at)
        keep.registered_at = min(keep.registered_at, dup.registered_at)
        keep._change_reason = _("Kept; %(ref)s marked as its duplicate: %(reason)s") % {
            "ref": dup.display_reference,
            "reason": reason,
        }
        keep._history_user = by
        keep.save(update_fields=["queue_at", "registered_at"])
        dup.status, dup.duplicate_of = Registration.Status.DUPLICATE, keep
        dup._change_reason = _("Duplicate of %(ref)s: %(reason)s") % {
            "ref": keep.display_reference,
            "reason": reason,
        }
        dup._history_user = by
        dup.save(update_fields=["status", "duplicate_of"])


def _check_can_merge(dup: Registration, keep: Registration) -> None:
    if not Registration.objects.filter(pk=keep.pk).filter(LIVE).exists():
        raise DuplicateRefused(_("The registration to keep is withdrawn or itself a duplicate."))
    if dup.status in (Registration.Status.WITHDRAWN, Registration.Status.DUPLICATE):
        raise DuplicateRefused(_("That registration is already out of the queue."))
    if dup.status == Registration.Status.ALLOTTED:
        raise DuplicateRefused(
            _("%(ref)s has a slot: cancel its appointment first, then mark it as a duplicate.")
            % {"ref": dup.display_reference}
        )
    if dup.doses_received:
        raise DuplicateRefused(
            _("%(ref)s has received a dose; keep that record and mark the other one instead.")
            % {"ref": dup.display_reference}
        )
