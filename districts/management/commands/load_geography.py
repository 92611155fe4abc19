import time

from django.core.management.base import BaseCommand

from districts.geography import load_geography


class Command(BaseCommand):
    help = "Load (or refresh) Chhattisgarh's districts, blocks, towns, villages and wards."

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        result = load_geography()
        self.stdout.write(
            f"Geography: {result.districts} districts, {result.areas} blocks and towns, "
            f"{result.localities} villages and wards ({time.monotonic() - started:.1f}s)"
        )
