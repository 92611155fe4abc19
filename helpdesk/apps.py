from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = _("Help desk")

    def ready(self) -> None:
        from registrations.signals import changed_by_official

        from . import receivers

        changed_by_official.connect(receivers.note_change_from_ticket, dispatch_uid="helpdesk")
