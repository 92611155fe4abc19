"""Possible duplicates and marking one registration as a duplicate of another.

Two rows are possibly one person when they share name, year of birth and
village or ward, or the same mobile. The official decides; the kept row takes
the earlier of the two queue places so nobody loses their turn by it.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, F, Field, Func, Q, QuerySet, Value
from django.db.models.functions import Lower
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


# How many people one page of "same name, year of birth and village" reads
# at most. The walk stops at 50 groups, but where few people share a name,
# year and village it would read the whole state first (1.4 s at 1,000,000
# with the benchmark's names): beyond this, the page shows what it found and
# offers to look further from there.
WALK = 25_000
PERSON_KEY = ("district_id", "locality_id", "lname", "birth_year")


@dataclass
class PersonGroups:
    groups: list[DuplicateGroup]
    # A registration to look further from (its key and after), or None once
    # the walk reached the end.
    further: int | None
    walked: int


def same_person_groups(
    queryset: QuerySet, *, limit: int = 50, start: int | None = None
) -> PersonGroups:
    """Groups of people with the same name, year of birth and village or ward,
    in the order of reg_district_person, from the key of registration `start`
    (or the beginning), reading at most WALK people."""
    rows = queryset.filter(LIVE).annotate(lname=Lower("name"))
    # The key as a row, which reg_district_person takes as where to start.
    rows = rows.alias(key=_row(F("district_id"), F("locality_id"), Lower("name"), F("birth_year")))
    # The key of `start` even if it has since been marked a duplicate.
    keyed = queryset.annotate(lname=Lower("name")).filter(pk=start)
    begin = keyed.values_list(*PERSON_KEY).first() if start else None
    if begin is not None:
        rows = rows.filter(key__gte=_row(*map(Value, begin)))
    walk = rows.order_by(*PERSON_KEY).values_list(*PERSON_KEY, "pk")[:WALK]
    runs: list[list[int]] = []
    last, walked, complete, further = None, 0, 0, None
    # Read in chunks from a cursor (in a transaction, so it is not read whole
    # first), and stopped once `limit` groups are found.
    with transaction.atomic():
        for *key, pk in walk.iterator(chunk_size=5000):
            walked += 1
            if key != last:
                if runs and len(runs[-1]) > 1:
                    complete += 1
                if complete == limit:
                    further = pk
                    break
                runs.append([])
                last = key
            runs[-1].append(pk)
    if walked == WALK and further is None:
        # The last key may go on past the walk: it is looked at next time, whole.
        further = runs.pop()[0]
        if not runs:
            # One name, year and village filled the walk: all of them, then on.
            key = _row(*map(Value, last))
            runs = [list(rows.filter(key=key).values_list("pk", flat=True))]
            after = rows.filter(key__gt=key).order_by(*PERSON_KEY)
            further = after.values_list("pk", flat=True).first()
    found = [pks for pks in runs if len(pks) > 1]
    return PersonGroups(_person_groups(queryset, found), further, walked)


def _row(*expressions) -> Func:
    return Func(*expressions, function="ROW", output_field=Field())


def _person_groups(queryset: QuerySet, found: list[list[int]]) -> list[DuplicateGroup]:
    """The groups' people, read in one query by their ids."""
    people = {r.pk: r for r in _rows(queryset, Q(pk__in=[pk for pks in found for pk in pks]))}
    why = _("Same name, year of birth and village or ward")
    groups = []
    for pks in found:
        members = [people[pk] for pk in pks if pk in people]
        members.sort(key=lambda r: (r.priority, r.queue_at, r.reference))
        groups.append(DuplicateGroup(why, members))
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
