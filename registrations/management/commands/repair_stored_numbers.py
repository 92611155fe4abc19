from django.core.management.base import BaseCommand

from registrations.models import Account, NormalFormFlag, Registration, SignInCode
from registrations.stored_numbers import repair_stored_numbers


class Command(BaseCommand):
    help = (
        "Finds mobiles and ID numbers stored in another spelling than the normal form "
        "(Devanagari or full-width digits, landlines): rewrites mobiles where no other "
        "account has the number, flags the rest for the possible-duplicates page."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        models = {
            "Account": Account,
            "Registration": Registration,
            "SignInCode": SignInCode,
            "NormalFormFlag": NormalFormFlag,
        }
        repairs = repair_stored_numbers(models=models, dry_run=dry_run)
        for line in repairs.lines():
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("dry run: nothing was changed")
