"""Admin pieces every app's admin shares, and the SMS outbox's admin."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from districts.scoped_admin import ScopedAdmin
from registrations.models import mask_mobile

from .models import OutboundSms

admin.site.site_header = _("Teeka administration")
admin.site.site_title = _("Teeka administration")
admin.site.index_title = _("Run your district")
# No side menu: on an office laptop it took a quarter of the width that a
# district's lists need; the index page and the breadcrumbs lead everywhere.
admin.site.enable_nav_sidebar = False


class CappedCountPaginator(Paginator):
    """Counts at most `cap` + 1 rows: on a million registrations a full
    COUNT(*) costs more than the page itself. Beyond the cap the admin says
    "more than 1,000" and asks for a filter, and offers the first 20 pages.

    A filter the database cannot find by an index (a status, a priority
    group) is counted by reading rows until `cap` + 1 match: for a status
    of 3% of a district that was the whole district (1.3 s of a 1.4 s page at
    10,000,000 with a cap of 10,000; 0.4 s with this one)."""

    cap = 1_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class BigTableAdmin(admin.ModelAdmin):
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 50


@admin.register(OutboundSms)
class OutboundSmsAdmin(ScopedAdmin, BigTableAdmin):
    # Messages carry no district; only statewide roles read the outbox.
    scope_path = None
    list_display = ("kind", "masked_to", "status", "created_at", "send_after", "attempts")
    list_filter = ("status", "kind")
    date_hierarchy = "created_at"
    fields = (
        "kind",
        "masked_to",
        "text",
        "status",
        "created_at",
        "send_after",
        "sent_at",
        "attempts",
        "last_error",
    )
    readonly_fields = fields

    @admin.display(description=_("to"))
    def masked_to(self, obj: OutboundSms) -> str:
        return mask_mobile(obj.to)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
