"""The database itself refuses what the domain forbids, whatever the code does."""

import pytest
from django.db import IntegrityError, connection, transaction

from districts.models import Area
from slots.models import Appointment, Session
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(raipur_village):
    centre = factories.make_centre(locality=raipur_village)
    return factories.make_session(centre=centre, capacity=2)


def test_a_session_cannot_be_booked_beyond_capacity(session):
    session.booked = 3
    with pytest.raises(IntegrityError), transaction.atomic():
        session.save()


def test_a_raw_update_cannot_overbook_either(session):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE slots_session SET booked = capacity + 1 WHERE id = %s", [session.pk])


def test_capacity_cannot_be_negative(session):
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(capacity=-1)


def test_a_second_registration_with_the_same_id_is_refused(raipur_village):
    factories.make_registration(
        locality=raipur_village, id_type="AADHAAR", id_number="234123412346"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_registration(
            locality=raipur_village, id_type="AADHAAR", id_number="2341 2341 2346"
        )


def test_the_same_number_as_another_id_type_is_a_different_document(raipur_village):
    factories.make_registration(locality=raipur_village, id_type="VOTER", id_number="ABC1234567")
    factories.make_registration(locality=raipur_village, id_type="RATION", id_number="ABC1234567")


def test_the_whole_id_number_is_never_stored(raipur_village):
    registration = factories.make_registration(
        locality=raipur_village, id_type="AADHAAR", id_number="234123412346"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT row_to_json(r)::text FROM registrations_registration r WHERE id = %s",
            [registration.pk],
        )
        stored = cursor.fetchone()[0]
    assert "234123412346" not in stored
    assert registration.id_last4 == "2346"


def test_a_second_active_appointment_for_the_same_dose_is_refused(session, raipur_village):
    registration = factories.make_registration(locality=raipur_village)
    Appointment.objects.create(registration=registration, session=session, dose=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(registration=registration, session=session, dose=1)


def test_a_cancelled_appointment_does_not_block_a_new_one(session, raipur_village):
    registration = factories.make_registration(locality=raipur_village)
    Appointment.objects.create(
        registration=registration, session=session, dose=1, status=Appointment.Status.CANCELLED
    )
    Appointment.objects.create(registration=registration, session=session, dose=1)


def test_a_locality_outside_the_chosen_area_is_refused(raipur_village, raipur_town):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_registration(locality=raipur_village, area=raipur_town)


def test_an_area_outside_the_chosen_district_is_refused(raipur_village, bastar):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_registration(locality=raipur_village, district_id=bastar.pk)


def test_a_session_belongs_to_its_centres_district(session, bastar):
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(district=bastar)


def test_a_centre_in_a_block_of_another_district_is_refused(raipur_village, bastar):
    block = bastar.areas.filter(kind=Area.Kind.BLOCK).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_centre(locality=raipur_village, area=block)


def test_an_account_holds_at_most_four_people(account, raipur_village):
    for seat in range(1, 5):
        factories.make_registration(locality=raipur_village, account=account, seat=seat)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_registration(locality=raipur_village, account=account, seat=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_registration(locality=raipur_village, account=account, seat=4)


def test_the_same_person_twice_on_one_account_is_refused(account, raipur_village):
    factories.make_registration(
        locality=raipur_village, account=account, seat=1, name="Sunita Sahu", birth_year=1970
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_registration(
            locality=raipur_village, account=account, seat=2, name="sunita sahu", birth_year=1970
        )
