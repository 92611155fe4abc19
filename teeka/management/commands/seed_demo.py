import time

from django.core.management.base import BaseCommand, CommandError

from districts.models import District
from registrations.models import Registration
from teeka.demo import seed_demo


class Command(BaseCommand):
    help = "Make demo centres, a week of published sessions and N registrations."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--registrations", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--days", type=int, default=7, help="days of sessions ahead")
        parser.add_argument("--capacity", type=int, help="seats per session (default: half served)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when registrations exist"
        )

    def handle(self, *args, **options) -> None:
        if not District.objects.exists():
            raise CommandError("Load the geography first: manage.py load_geography")
        if options["if_empty"] and Registration.objects.exists():
            self.stdout.write("Demo data already there; nothing to do.")
            return
        started = time.monotonic()
        result = seed_demo(
            registrations=options["registrations"],
            seed=options["seed"],
            days=options["days"],
            capacity=options["capacity"],
        )
        self.stdout.write(
            f"Demo: {result.centres} centres, {result.sessions} sessions, "
            f"{result.accounts} accounts, {result.registrations} registrations "
            f"({time.monotonic() - started:.1f}s)"
        )
