import re

from django.contrib import admin
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from districts.scoped_admin import ScopedAdmin, scope, visible_ids
from teeka.admin import BigTableAdmin

from ..ids import ascii_digits
from ..models import Account, Registration, mobile_ends_with
from ..validators import normalise_mobile


@admin.register(Account)
class AccountAdmin(ScopedAdmin, BigTableAdmin):
    list_display = ("masked_mobile", "language", "people", "created_at", "last_sign_in_at")
    list_filter = ("language",)
    search_fields = ("mobile",)
    # Newest first, by the primary key; no other column has an index to
    # sort millions of accounts by (docs/performance.md, "Lists").
    ordering = ("-pk",)
    sortable_by = ()
    fields = ("masked_mobile", "language", "created_at", "last_sign_in_at")
    readonly_fields = fields

    def scope_queryset(self, queryset: QuerySet, request: HttpRequest) -> QuerySet:
        # An account belongs to the districts of the people on it; a
        # statewide user sees them all (no semi-join over every registration).
        if visible_ids(request.user) is None:
            return queryset
        people = scope(Registration.objects.all(), request.user).values("account_id")
        return queryset.filter(pk__in=people)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Counted per shown row (an index lookup each), not grouped over all.
        people = (
            Registration.objects.filter(account_id=OuterRef("pk"))
            .order_by()
            .values("account_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return super().get_queryset(request).annotate(people_count=Subquery(people))

    def get_search_results(self, request, queryset, search_term):
        mobile = normalise_mobile(search_term)
        digits = mobile[3:] if mobile else re.sub(r"\D", "", ascii_digits(search_term))
        if len(digits) >= 4:
            found = queryset.filter(**mobile_ends_with(digits))
            return self.scope_queryset(found, request), False
        return queryset.none() if search_term else queryset, False

    @admin.display(description=_("mobile number"))
    def masked_mobile(self, obj: Account) -> str:
        return obj.masked_mobile()

    @admin.display(description=_("people"))
    def people(self, obj: Account) -> int:
        return obj.people_count or 0

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
