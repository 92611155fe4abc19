"""Numbers stored before every spelling of a number was one number.

Mobiles typed in Devanagari or full-width digits made sign-in rows (limits)
of their own, and an ID typed so was hashed from that spelling and kept its
last 4 in those digits. This finds them and puts right what can be put right:
- an account's mobile is rewritten to its normal form (+91 and ten ASCII
  digits), unless that number is another account's: the two are never merged
  here (a person is moved only through the help desk's move), the account is
  flagged instead; a stored number that is no mobile at all (a landline that
  was let in) is flagged too;
- sign-in rows are rewritten to the normal form, or folded into the normal
  row keeping the stricter of each limit;
- a registration's last 4 are rewritten in ASCII digits, and it is flagged as
  a possible duplicate: its keyed hash cannot be taken again (the number is
  not stored), so the same ID typed in ASCII would not be caught.

Written against the models it is given, so the data migration (historical
models) and `manage.py repair_stored_numbers` run the same code. Running it
twice changes nothing the second time.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import CharField
from django.db.models.functions import Cast

from .ids import normalise_id_number
from .validators import normalise_mobile

ID_KIND, CLASH_KIND, NOT_MOBILE_KIND = "id_spelling", "mobile_clash", "not_mobile"


@dataclass
class Repairs:
    mobiles_rewritten: int = 0
    mobile_clashes: int = 0
    not_mobiles: int = 0
    sign_in_rows: int = 0
    ids_flagged: int = 0

    def lines(self) -> list[str]:
        return [
            f"accounts whose mobile was rewritten in its normal form: {self.mobiles_rewritten}",
            f"accounts flagged, their mobile is another account's: {self.mobile_clashes}",
            f"accounts flagged, their mobile is not a mobile: {self.not_mobiles}",
            f"sign-in rows rewritten or folded into the normal one: {self.sign_in_rows}",
            f"registrations flagged, ID hashed from other digits: {self.ids_flagged}",
        ]


def repair_stored_numbers(*, models: dict, dry_run: bool = False) -> Repairs:
    """`models`: Account, Registration, SignInCode and NormalFormFlag classes."""
    repairs = Repairs()
    with transaction.atomic():
        _accounts(models, repairs, dry_run)
        _sign_in_rows(models, repairs, dry_run)
        _registrations(models, repairs, dry_run)
        if dry_run:
            transaction.set_rollback(True)
    return repairs


def _flag(models: dict, kind: str, **fields) -> None:
    key = {k: v for k, v in fields.items() if k in ("registration_id", "account_id")}
    models["NormalFormFlag"].objects.get_or_create(kind=kind, **key, defaults=fields)


def _accounts(models: dict, repairs: Repairs, dry_run: bool) -> None:
    # Every account, not only the odd-looking: a landline reads as ASCII E.164.
    account = models["Account"]
    # As stored: the phone field would read a Devanagari spelling as E.164.
    raw = account.objects.annotate(raw=Cast("mobile", output_field=CharField()))
    rows = raw.order_by("pk").values_list("pk", "raw").iterator(chunk_size=5000)
    for pk, stored in rows:
        normal = normalise_mobile(stored)
        if normal == stored:
            continue
        if normal is None:
            repairs.not_mobiles += 1
            _flag(models, NOT_MOBILE_KIND, account_id=pk, detail=_masked(stored))
            continue
        other = account.objects.filter(mobile=normal).exclude(pk=pk).first()
        if other is not None:
            repairs.mobile_clashes += 1
            _flag(models, CLASH_KIND, account_id=pk, other_account_id=other.pk)
        else:
            repairs.mobiles_rewritten += 1
            account.objects.filter(pk=pk).update(mobile=normal)


def _masked(stored: str) -> str:
    return "******" + stored[-4:]


def _sign_in_rows(models: dict, repairs: Repairs, dry_run: bool) -> None:
    rows = models["SignInCode"].objects
    for row in rows.exclude(mobile__regex=r"^\+91[0-9]{10}$").order_by("pk"):
        normal = normalise_mobile(row.mobile)
        repairs.sign_in_rows += 1
        twin = rows.filter(mobile=normal).first() if normal else None
        if normal is None:
            row.delete()  # no code can be sent to it any more
        elif twin is None:
            rows.filter(pk=row.pk).update(mobile=normal, code_hash="")
        else:
            _fold(row, twin)


def _fold(row, twin) -> None:
    """The odd spelling's limits join the normal row's, the stricter kept."""
    twin.sends_in_window = max(twin.sends_in_window, row.sends_in_window)
    twin.wrong_tries = max(twin.wrong_tries, row.wrong_tries)
    locks = [t for t in (twin.locked_until, row.locked_until) if t]
    twin.locked_until = max(locks) if locks else None
    twin.save(update_fields=["sends_in_window", "wrong_tries", "locked_until"])
    row.delete()


def _registrations(models: dict, repairs: Repairs, dry_run: bool) -> None:
    registration = models["Registration"]
    odd = registration.objects.filter(id_last4__regex=r"[^A-Z0-9]").order_by("pk")
    for pk, last4 in odd.values_list("pk", "id_last4"):
        repairs.ids_flagged += 1
        _flag(models, ID_KIND, registration_id=pk, detail=f"••••{last4}")
        registration.objects.filter(pk=pk).update(id_last4=normalise_id_number(last4)[-4:])
