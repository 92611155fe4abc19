import datetime
from collections.abc import Callable
from functools import wraps

import tablib
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from districts import access
from districts.scoping import visible_district_ids
from teeka import outbox, spreadsheets
from teeka.replicas import replica_reads

from . import charts, stats
from .forms import FilterForm
from .models import SummaryState
from .report import DOWNLOADS, TABLES, Table

EXPORTS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _may_see_dashboard(user: AbstractBaseUser) -> bool:
    """Roles the matrix gives the counts, statewide or in at least one district."""
    if not access.allows(user, access.Subject.COUNTS, access.VIEW):
        return False
    ids = visible_district_ids(user)
    return ids is None or (user.is_staff and bool(ids))


def staff_dashboard(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not _may_see_dashboard(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _charts(days: Table) -> dict[str, charts.Chart]:
    dates = [row[0] for row in days.rows]
    column = {n: [row[n] for row in days.rows] for n in (1, 2, 3)}
    return {
        "registrations": charts.stacked_bars(dates, [(_("Registrations"), column[1])]),
        "doses": charts.stacked_bars(dates, [(_("Dose 1"), column[2]), (_("Dose 2"), column[3])]),
    }


@require_GET
@staff_dashboard
@replica_reads
def dashboard(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    tables = {slug: build(user=request.user, filters=filters) for slug, build in TABLES.items()}
    context = {
        "form": form,
        "filters": filters,
        "tables": tables,
        "charts": _charts(tables["days"]),
        "summary": SummaryState.objects.filter(id=1).first(),
        "query": request.GET.urlencode(),
        # State-wide (an SMS carries no district); the list is for those who
        # may read the outbox.
        "sms_undelivered": outbox.undelivered_count(),
        "may_list_sms": request.user.has_perm("teeka.view_outboundsms"),
    }
    return render(request, "dashboard/dashboard.html", context)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value if isinstance(value, int | float) else str(value)


def _dataset(table: Table) -> tablib.Dataset:
    data = tablib.Dataset(headers=[str(h) for h in table.headers], title=str(table.caption)[:31])
    for row in [*table.rows, *([table.total] if table.total else [])]:
        data.append([_cell(v) for v in row])
    return data


@require_GET
@staff_dashboard
@replica_reads
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    if table not in DOWNLOADS or fmt not in EXPORTS:
        raise Http404
    filters = FilterForm(request.GET or None, user=request.user).filters()
    data = _dataset(DOWNLOADS[table](user=request.user, filters=filters))
    # A byte-order mark lets spreadsheet programs read Hindi names in a CSV.
    if fmt == "csv":
        body = ("\ufeff" + spreadsheets.csv_text(data)).encode()
    else:
        body = spreadsheets.xlsx_bytes(data.title, [data.headers, *data])
    response = HttpResponse(body, content_type=EXPORTS[fmt])
    response["Content-Disposition"] = f'attachment; filename="teeka-{table}.{fmt}"'
    return response


@require_GET
@replica_reads
def public_stats(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/stats.html", {"stats": stats.public_stats()})
