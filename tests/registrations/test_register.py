import threading

import pytest
from django.db import connection

from registrations.models import PriorityGroup, Registration
from registrations.services import (
    AccountFull,
    AlreadyRegistered,
    NotEligible,
    SamePersonOnAccount,
    derive_priority,
    register_person,
    withdraw_registration,
)
from tests import factories

from .helpers import aadhaar_number, details

pytestmark = pytest.mark.django_db


def test_it_registers_a_person_in_the_first_free_seat(account, raipur_village):
    person = register_person(account=account, details=details(raipur_village))
    assert person.seat == 1
    assert person.status == Registration.Status.WAITING
    assert person.id_last4 == person.id_last4[-4:]


def test_it_never_stores_the_whole_id_number(account, raipur_village):
    number = aadhaar_number()
    person = register_person(account=account, details=details(raipur_village, id_number=number))
    row = Registration.objects.filter(pk=person.pk).values()[0]
    assert number not in " ".join(str(v) for v in row.values())
    assert person.id_last4 == number[-4:]


def test_it_rejects_a_second_registration_with_the_same_id_from_another_mobile(raipur_village):
    number = aadhaar_number()
    first = register_person(
        account=factories.make_account(), details=details(raipur_village, id_number=number)
    )
    other = factories.make_account()
    with pytest.raises(AlreadyRegistered) as refused:
        register_person(account=other, details=details(raipur_village, id_number=number))
    assert refused.value.on_another_mobile
    assert refused.value.masked_reference == f"{first.reference[:3]}-***-**{first.reference[-1]}"
    assert "helpline" in refused.value.message
    assert Registration.objects.count() == 1
    first_again = Registration.objects.get()
    assert (first_again.queue_at, first_again.registered_at) == (
        first.queue_at,
        first.registered_at,
    )


def test_the_same_id_typed_differently_is_the_same_id(account, raipur_village):
    register_person(
        account=account, details=details(raipur_village, id_type="VOTER", id_number="ABC1234567")
    )
    with pytest.raises(AlreadyRegistered) as refused:
        register_person(
            account=factories.make_account(),
            details=details(raipur_village, id_type="VOTER", id_number="abc 1234567"),
        )
    assert refused.value.on_another_mobile


def test_it_rejects_the_same_person_twice_on_one_account(account, raipur_village):
    register_person(account=account, details=details(raipur_village, name="Ramesh Kumar"))
    with pytest.raises(SamePersonOnAccount):
        register_person(account=account, details=details(raipur_village, name="ramesh  KUMAR"))
    assert account.registrations.count() == 1


def test_an_account_holds_four_people(account, raipur_village):
    seats = [
        register_person(account=account, details=details(raipur_village)).seat for _ in range(4)
    ]
    assert seats == [1, 2, 3, 4]
    with pytest.raises(AccountFull):
        register_person(account=account, details=details(raipur_village))


def test_a_withdrawn_person_frees_the_seat(account, raipur_village):
    people = [register_person(account=account, details=details(raipur_village)) for _ in range(4)]
    withdraw_registration(registration=people[1], by=None, reason="moved away")
    assert register_person(account=account, details=details(raipur_village)).seat == 2
    assert Registration.objects.get(pk=people[1].pk).status == Registration.Status.WITHDRAWN


def test_registering_a_withdrawn_id_again_points_to_the_helpline(account, raipur_village):
    number = aadhaar_number()
    person = register_person(account=account, details=details(raipur_village, id_number=number))
    withdraw_registration(registration=person, by=None, reason="test")
    with pytest.raises(AlreadyRegistered, match="withdrawn"):
        register_person(account=account, details=details(raipur_village, id_number=number))


def test_children_are_not_eligible(account, raipur_village):
    from django.utils import timezone

    with pytest.raises(NotEligible):
        register_person(
            account=account,
            details=details(raipur_village, birth_year=timezone.localdate().year - 17),
        )


def test_age_groups_are_derived_from_the_year_of_birth():
    from django.utils import timezone

    year = timezone.localdate().year
    assert (
        derive_priority(occupation=5, birth_year=year - 61, long_term_illness=False)
        == PriorityGroup.AGED_60_PLUS
    )
    assert (
        derive_priority(occupation=5, birth_year=year - 50, long_term_illness=True)
        == PriorityGroup.AGED_45_COMORBID
    )
    assert (
        derive_priority(occupation=5, birth_year=year - 30, long_term_illness=True)
        == PriorityGroup.EVERYONE
    )
    assert (
        derive_priority(occupation=1, birth_year=year - 30, long_term_illness=False)
        == PriorityGroup.HEALTH_WORKER
    )


def _race(target, n: int) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = target(i)
        except Exception as error:  # the losers' refusals, collected for the test
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_submissions_from_ten_mobiles_leave_one_row(geography, raipur_block):
    village = factories.first_locality(raipur_block)
    accounts = [factories.make_account() for _ in range(10)]
    person = details(village)
    results = _race(lambda i: register_person(account=accounts[i], details=person), 10)
    assert Registration.objects.count() == 1
    assert sum(isinstance(r, Registration) for r in results) == 1
    assert sum(isinstance(r, AlreadyRegistered) for r in results) == 9


@pytest.mark.django_db(transaction=True)
def test_ten_double_taps_on_one_account_leave_one_row(geography, raipur_block):
    village = factories.first_locality(raipur_block)
    account = factories.make_account()
    person = details(village)
    results = _race(lambda i: register_person(account=account, details=person), 10)
    assert Registration.objects.count() == 1
    assert sum(isinstance(r, Registration) for r in results) == 1
    # Same account: the ID or the name rule may win the race; both are friendly.
    assert all(
        isinstance(r, (AlreadyRegistered, SamePersonOnAccount, Registration)) for r in results
    )


@pytest.mark.django_db(transaction=True)
def test_four_different_people_added_at_once_get_four_seats(geography, raipur_block):
    village = factories.first_locality(raipur_block)
    account = factories.make_account()
    people = [details(village) for _ in range(6)]
    results = _race(lambda i: register_person(account=account, details=people[i]), 6)
    rows = Registration.objects.filter(account=account)
    assert sorted(rows.values_list("seat", flat=True)) == [1, 2, 3, 4]
    assert sum(isinstance(r, AccountFull) for r in results) == 2


def test_a_reference_drawn_twice_is_drawn_again(account, raipur_village, monkeypatch):
    first = register_person(account=account, details=details(raipur_village))
    # Every new registration draws the reference the first one holds.
    field = Registration._meta.get_field("reference")
    monkeypatch.setattr(field, "_get_default", lambda: first.reference)
    second = register_person(account=factories.make_account(), details=details(raipur_village))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT reference), count(*) FROM registrations_registration")
        assert cursor.fetchone() == (2, 2)
    assert second.reference != first.reference
