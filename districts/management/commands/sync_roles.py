from django.apps import apps
from django.core.management.base import BaseCommand

from districts.role_permissions import sync_role_groups


class Command(BaseCommand):
    help = "Sets the staff role groups' permissions exactly (after a new model lands)."

    def handle(self, *args, **options) -> None:
        sync_role_groups(apps)
        self.stdout.write("Role groups are up to date.")
