from django.core.management.base import BaseCommand, CommandError

from districts.models import District
from slots.allocation import allocate_district


class Command(BaseCommand):
    help = (
        "Allots open seats to waiting people, district by district, with the same code as "
        "the Celery task; prints allotted, still waiting and seats left per district."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--district", type=int, help="LGD code of one district (default: all)")
        parser.add_argument("--dry-run", action="store_true", help="decide, but write nothing")

    def handle(self, *args, district: int | None, dry_run: bool, **options) -> None:
        districts = District.objects.order_by("name_en")
        if district is not None:
            districts = districts.filter(pk=district)
            if not districts:
                raise CommandError(f"No district with LGD code {district}.")
        self.stdout.write(f"{'district':<24}{'allotted':>10}{'waiting':>10}{'seats left':>12}")
        totals = [0, 0, 0]
        for row in districts:
            # An operator wants the answer: wait for a run already in progress.
            summary = allocate_district(district_id=row.pk, dry_run=dry_run, wait=True)
            numbers = [summary.allotted, summary.still_waiting, summary.seats_left]
            totals = [a + b for a, b in zip(totals, numbers, strict=True)]
            self.stdout.write(
                f"{row.name_en.title():<24}{numbers[0]:>10}{numbers[1]:>10}{numbers[2]:>12}"
            )
        self.stdout.write(f"{'total':<24}{totals[0]:>10}{totals[1]:>10}{totals[2]:>12}")
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
