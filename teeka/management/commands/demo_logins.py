from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError

from districts import roles
from districts.models import District, OfficialProfile

# Known passwords are only for a DEBUG demo; the command refuses otherwise.
DEMO_USERS = [
    # username, password, superuser, role, district LGD code
    ("admin", "teeka-admin-demo", True, roles.STATE_ADMIN, None),
    ("raipur", "teeka-raipur-demo", False, roles.DISTRICT_OFFICIAL, 387),
]


class Command(BaseCommand):
    help = "Create the demo logins (DEBUG only) and print them."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo logins have known passwords: DEBUG runs only.")
        for username, password, superuser, role, district_code in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff, user.is_superuser = True, superuser
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get_or_create(name=role)[0])
            if district_code:
                profile, _ = OfficialProfile.objects.get_or_create(user=user)
                profile.districts.add(District.objects.get(pk=district_code))
        self.stdout.write("\nTeeka is at http://127.0.0.1:8000/  (admin: /admin/)")
        for username, password, _, role, district_code in DEMO_USERS:
            where = f", district {district_code}" if district_code else ""
            self.stdout.write(f"  {role}: {username} / {password}{where}")
        self.stdout.write(
            "  Citizens sign in with any mobile; codes land in var/sms-outbox.jsonl\n"
        )
