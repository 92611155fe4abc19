"""What the dashboard shows: tables read from the summaries, scoped to the
districts the user may see (districts.scoping, nothing else)."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, Sum
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from districts.models import Area, District
from districts.scoping import scope
from quotas.models import Category, Rollover
from registrations.models import Gender, PriorityGroup
from slots.models import Session

from .models import AreaDay, GroupDay

SEAT_DAYS = 7

PEOPLE = (
    ("registered", _("Registered")),
    ("waiting", _("Waiting")),
    ("allotted", _("Allotted")),
    ("dose1", _("Dose 1 given")),
    ("dose2", _("Dose 2 given")),
    ("no_show", _("No-shows")),
    ("cancelled", _("Cancelled")),
)
SEATS = (
    ("published", _("Seats published, next 7 days")),
    ("booked", _("Seats booked, next 7 days")),
)


@dataclass(frozen=True)
class Filters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    district_id: int | None = None


@dataclass
class Table:
    slug: str
    caption: str | Promise
    headers: list[str | Promise]
    # Each row: the label first, then numbers (None where there is nothing to
    # divide, for shares).
    rows: list[list] = field(default_factory=list)
    total: list | None = None
    percent_columns: frozenset[int] = frozenset()


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _summary(model: type, user: AbstractBaseUser, filters: Filters, day: str = "day"):
    """The rows of `model` the user may see, in the filters' district and days."""
    rows = scope(model.objects.all(), user)
    if filters.district_id:
        rows = rows.filter(district_id=filters.district_id)
    if filters.date_from:
        rows = rows.filter(**{f"{day}__gte": filters.date_from})
    if filters.date_to:
        rows = rows.filter(**{f"{day}__lte": filters.date_to})
    return rows


def _sums(rows, key: str, measures: tuple) -> dict:
    totals = {m: Sum(m, default=0) for m, _label in measures}
    return {row.pop(key): row for row in rows.values(key).annotate(**totals).order_by()}


def _seats(user: AbstractBaseUser, filters: Filters, key: str) -> dict:
    today = timezone.localdate()
    sessions = scope(Session.objects.all(), user).filter(
        published=True,
        status=Session.Status.ACTIVE,
        date__gte=today,
        date__lt=today + datetime.timedelta(days=SEAT_DAYS),
    )
    if filters.district_id:
        sessions = sessions.filter(district_id=filters.district_id)
    return {
        row.pop(key): row
        for row in sessions.values(key)
        .annotate(published=Sum("capacity", default=0), booked=Sum("booked", default=0))
        .order_by()
    }


def _places(user: AbstractBaseUser, filters: Filters) -> list[tuple[object, str]]:
    """(key, name) of the rows: the blocks and towns of the chosen district, or
    every district the user may see."""
    if filters.district_id:
        areas = scope(Area.objects.filter(district_id=filters.district_id), user)
        areas = areas.order_by("kind", "name_en")
        return [(a.pk, f"{a.name} ({a.get_kind_display()})") for a in areas]
    return [(d.pk, d.name) for d in scope(District.objects.all(), user, path="pk")]


def places_table(*, user: AbstractBaseUser, filters: Filters) -> Table:
    by_area = bool(filters.district_id)
    key = "area_id" if by_area else "district_id"
    people = _sums(_summary(AreaDay, user, filters), key, PEOPLE)
    seats = _seats(user, filters, "centre__area_id" if by_area else "district_id")
    names = [(_("Block or town") if by_area else _("District"))]
    table = Table(
        slug="places",
        caption=_(
            "By block and town: people where they live; doses, no-shows and cancellations "
            "where the centre is"
        )
        if by_area
        else _("By district"),
        headers=[*names, *(label for _m, label in PEOPLE + SEATS), _("Share of seats used")],
        percent_columns=frozenset({len(PEOPLE) + len(SEATS) + 1}),
    )
    sums = [0] * (len(PEOPLE) + len(SEATS))
    for key, name in _places(user, filters):
        counts = {**people.get(key, {}), **seats.get(key, {})}
        values = [counts.get(m, 0) for m, _label in PEOPLE + SEATS]
        sums = [a + b for a, b in zip(sums, values, strict=True)]
        table.rows.append([name, *values, _percent(values[-1], values[-2])])
    table.total = [_("Total"), *sums, _percent(sums[-1], sums[-2])]
    return table


def _days(filters: Filters, found: dict) -> list[datetime.date]:
    """Every day of the range, those with nothing included, so gaps show; by
    default up to today (the future holds only bookings, no doses yet)."""
    first = filters.date_from or min(found, default=None)
    if first is None:  # nothing summarised yet (before the first refresh), no range asked
        return []
    last = filters.date_to or min(max(found, default=first), timezone.localdate())
    if first > last:
        return []
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


DAY_MEASURES = (
    ("registered", _("Registrations")),
    ("dose1", _("Dose 1 given")),
    ("dose2", _("Dose 2 given")),
)


def days_table(*, user: AbstractBaseUser, filters: Filters) -> Table:
    found = _sums(_summary(AreaDay, user, filters), "day", DAY_MEASURES)
    table = Table(
        slug="days",
        caption=_("Per day"),
        headers=[_("Day"), *(label for _m, label in DAY_MEASURES)],
    )
    for day in _days(filters, found):
        counts = found.get(day, {})
        table.rows.append([day, *(counts.get(m, 0) for m, _label in DAY_MEASURES)])
    table.total = [_("Total"), *(sum(r[i] for r in table.rows) for i in range(1, 4))]
    return table


GROUP_MEASURES = PEOPLE


def _group_table(
    user: AbstractBaseUser, filters: Filters, key: str, choices: type, slug: str, caption: Promise
) -> Table:
    found = _sums(_summary(GroupDay, user, filters), key, GROUP_MEASURES)
    table = Table(
        slug=slug,
        caption=caption,
        headers=[caption, *(label for _m, label in GROUP_MEASURES), _("Share given dose 1")],
        percent_columns=frozenset({len(GROUP_MEASURES) + 1}),
    )
    sums = [0] * len(GROUP_MEASURES)
    for value, label in choices.choices:
        values = [found.get(value, {}).get(m, 0) for m, _label in GROUP_MEASURES]
        sums = [a + b for a, b in zip(sums, values, strict=True)]
        table.rows.append([label, *values, _percent(values[3], values[0])])
    table.total = [_("Total"), *sums, _percent(sums[3], sums[0])]
    return table


def priority_table(*, user: AbstractBaseUser, filters: Filters) -> Table:
    return _group_table(user, filters, "priority", PriorityGroup, "priority", _("Priority group"))


def gender_table(*, user: AbstractBaseUser, filters: Filters) -> Table:
    return _group_table(user, filters, "gender", Gender, "gender", _("Gender"))


def _doses_by_session(user: AbstractBaseUser, filters: Filters):
    """Sessions that are over and opened vials, with the doses given at each."""
    sessions = _summary(Session, user, filters, day="date").filter(
        vials_opened__gt=0, date__lt=timezone.localdate()
    )
    given = Count("appointments", filter=Q(appointments__status="attended"))
    return sessions.select_related("centre", "district").annotate(given=given)


def wastage_table(*, user: AbstractBaseUser, filters: Filters) -> Table:
    """Doses opened and not given, by centre (in a district) or by district,
    and by day, next to the target."""
    table = Table(
        slug="wastage",
        caption=_("Doses wasted (target: under %(target)s%%)")
        % {"target": settings.TEEKA_WASTAGE_TARGET_PERCENT},
        headers=[
            _("Centre and day") if filters.district_id else _("District and day"),
            _("Doses opened"),
            _("Doses given"),
            _("Doses wasted"),
            _("Share wasted"),
        ],
        percent_columns=frozenset({4}),
    )
    rows: dict[tuple, list[int]] = {}
    for session in _doses_by_session(user, filters):
        place = session.centre if filters.district_id else session.district
        opened = session.doses_opened()
        counts = rows.setdefault((session.date, str(place)), [0, 0])
        counts[0] += opened
        counts[1] += min(session.given, opened)
    sums = [0, 0, 0]
    for (day, place), (opened, given) in sorted(rows.items(), reverse=True):
        wasted = opened - given
        sums = [sums[0] + opened, sums[1] + given, sums[2] + wasted]
        label = f"{place} · {formats.date_format(day, 'j M Y')}"
        table.rows.append([label, opened, given, wasted, _percent(wasted, opened)])
    table.total = [_("Total"), *sums, _percent(sums[2], sums[0])]
    return table


def wastage_by_centre_table(*, user: AbstractBaseUser, filters: Filters) -> Table:
    """The download behind the wastage table: one row per district, centre
    and day, each in its own column, so a spreadsheet can sort and sum them."""
    table = Table(
        slug="wastage-centres",
        caption=_("Doses wasted by district, centre and day"),
        headers=[
            _("District"),
            _("Centre"),
            _("Day"),
            _("Doses opened"),
            _("Doses given"),
            _("Doses wasted"),
            _("Share wasted"),
        ],
        percent_columns=frozenset({6}),
    )
    rows: dict[tuple, list[int]] = {}
    for session in _doses_by_session(user, filters):
        key = (str(session.district), str(session.centre), session.centre_id, session.date)
        counts = rows.setdefault(key, [0, 0])
        opened = session.doses_opened()
        counts[0] += opened
        counts[1] += min(session.given, opened)
    sums = [0, 0, 0]
    for (district, centre, _centre_id, day), (opened, given) in sorted(rows.items()):
        wasted = opened - given
        sums = [sums[0] + opened, sums[1] + given, sums[2] + wasted]
        table.rows.append([district, centre, day, opened, given, wasted, _percent(wasted, opened)])
    table.total = [_("Total"), "", "", *sums, _percent(sums[2], sums[0])]
    return table


def rollover_table(*, user: AbstractBaseUser, filters: Filters) -> Table:
    """Seats of a category's share given to others because the category had
    nobody left who could take them (quotas.Rollover), by district (or by
    centre in a district), from which category to which, over the sessions
    of the chosen days."""
    table = Table(
        slug="rollover",
        caption=_("Seats rolled over between categories"),
        headers=[
            _("Centre: from the share of, to")
            if filters.district_id
            else _("District: from the share of, to"),
            _("Seats"),
        ],
    )
    sessions = _summary(Session, user, filters, day="date")
    rows = (
        Rollover.objects.filter(session__in=sessions)
        .values_list(
            "session__centre__name" if filters.district_id else "session__district_id",
            "from_category_id",
            "to_category_id",
        )
        .annotate(seats=Sum("seats"))
        .order_by()
    )
    rows = list(rows)
    categories = Category.objects.in_bulk({r[1] for r in rows} | {r[2] for r in rows} - {None})
    districts = District.objects.in_bulk({r[0] for r in rows}) if not filters.district_id else {}
    nobody = _("people in no category")
    for place, giver, taker, seats in rows:
        where = str(districts[place]) if districts else place
        to = categories[taker].name if taker else nobody
        table.rows.append([f"{where}: {categories[giver].name} → {to}", seats])
    table.rows.sort()
    table.total = [_("Total"), sum(row[1] for row in table.rows)]
    return table


TABLES: dict[str, Callable[..., Table]] = {
    "places": places_table,
    "days": days_table,
    "priority": priority_table,
    "gender": gender_table,
    "wastage": wastage_table,
    "rollover": rollover_table,
}
# What can be downloaded: the tables shown, and the finer ones behind them.
DOWNLOADS: dict[str, Callable[..., Table]] = {
    **TABLES,
    "wastage-centres": wastage_by_centre_table,
}
