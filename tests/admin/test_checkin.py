"""The vaccinator's check-in page."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from districts import roles
from registrations.ids import format_reference, new_reference
from registrations.models import Registration
from slots.models import Appointment

from .conftest import rows_in, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def today_rows(raipur_village):
    rows = rows_in(raipur_village)
    rows.session.date = timezone.localdate()
    rows.session.save()
    return rows


@pytest.fixture
def vaccinator(raipur, today_rows):
    user = staff_user("vax", roles.VACCINATOR, raipur, is_staff=False)
    today_rows.centre.staff.add(user)
    return user


def _post(client, appointment, **data):
    url = reverse("checkin:appointment", args=[appointment.pk])
    return client.post(url, {"outcome": "vaccinated", "batch_number": "B123", **data})


def test_a_wrong_code_is_refused_and_records_nothing(client, vaccinator, today_rows):
    client.force_login(vaccinator)
    wrong = "0000" if today_rows.appointment.code != "0000" else "1111"
    response = _post(client, today_rows.appointment, code=wrong)
    assert "does not match" in response.content.decode()
    today_rows.appointment.refresh_from_db()
    assert today_rows.appointment.status == Appointment.Status.BOOKED


def test_dose_1_is_recorded_and_dose_2_becomes_due(client, vaccinator, today_rows):
    client.force_login(vaccinator)
    response = _post(client, today_rows.appointment, code=today_rows.appointment.code)
    assert response.status_code == 302
    today_rows.appointment.refresh_from_db()
    assert today_rows.appointment.status == Appointment.Status.ATTENDED
    assert today_rows.appointment.batch_number == "B123"
    person = Registration.objects.get(pk=today_rows.registration.pk)
    assert (person.doses_received, person.status) == (1, Registration.Status.WAITING)
    assert person.next_dose() == 2 and person.last_dose_date == timezone.localdate()
    assert person.last_vaccine == today_rows.session.vaccine


def test_turning_away_needs_a_reason_and_puts_the_person_back_in_the_queue(
    client, vaccinator, today_rows
):
    client.force_login(vaccinator)
    code = today_rows.appointment.code
    response = _post(client, today_rows.appointment, code=code, outcome="turned_away")
    assert response.status_code == 200  # the reason is missing
    _post(client, today_rows.appointment, code=code, outcome="turned_away", reason="Fever today")
    today_rows.appointment.refresh_from_db()
    assert today_rows.appointment.status == Appointment.Status.CANCELLED
    assert (
        Registration.objects.get(pk=today_rows.registration.pk).status
        == Registration.Status.WAITING
    )


def test_a_vaccinator_cannot_check_in_at_another_centre(client, vaccinator, raipur_village):
    other = rows_in(raipur_village)
    client.force_login(vaccinator)
    response = _post(client, other.appointment, code=other.appointment.code)
    assert response.status_code == 404
    other.centre.name = "Far Away Centre"
    other.centre.save()
    response = client.post(
        reverse("checkin:home"), {"reference": other.registration.reference}, follow=True
    )
    page = response.content.decode()
    # Only that: not where, not when, not whether it exists at all.
    assert "Not at your centre today." in page
    assert "Far Away Centre" not in page
    assert other.session.date.strftime("%d-%m-%Y") not in page
    unknown = {"reference": format_reference(new_reference())}
    nowhere = client.post(reverse("checkin:home"), unknown, follow=True)
    assert "Not at your centre today." in nowhere.content.decode()
    other.appointment.refresh_from_db()
    assert other.appointment.status == Appointment.Status.BOOKED


def test_finding_by_reference_or_scanned_link_opens_the_appointment(client, vaccinator, today_rows):
    client.force_login(vaccinator)
    reference = today_rows.registration.display_reference
    for typed in (reference.lower(), f"https://teeka.example/r/{reference}/"):
        response = client.post(reverse("checkin:home"), {"reference": typed})
        assert response.url == reverse("checkin:appointment", args=[today_rows.appointment.pk])


def test_someone_without_the_vaccinator_role_is_sent_to_sign_in(client, raipur_official):
    client.force_login(raipur_official)
    assert client.get(reverse("checkin:home")).status_code == 302


def test_the_sign_in_page_answers(client):
    assert client.get(reverse("checkin:login")).status_code == 200


def _wrong_codes_in_database(appointment) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wrong_codes FROM slots_appointment WHERE id = %s", [appointment.pk])
        return cursor.fetchone()[0]


def test_the_code_locks_after_five_wrong_tries_even_against_the_right_one(
    client, vaccinator, today_rows
):
    appointment = today_rows.appointment
    client.force_login(vaccinator)
    wrong = [c for c in ("0000", "1111", "2222", "3333", "4444", "5555") if c != appointment.code]
    for n, code in enumerate(wrong[:5], 1):
        page = _post(client, appointment, code=code).content.decode()
        assert _wrong_codes_in_database(appointment) == n
    assert "Too many wrong codes" in page
    response = _post(client, appointment, code=appointment.code)
    assert response.status_code == 200  # the right code no longer opens it
    assert 'name="code"' not in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_a_locked_appointment_is_checked_in_with_the_photo_id_and_a_reason_on_record(
    client, vaccinator, today_rows
):
    appointment = today_rows.appointment
    Appointment.objects.filter(pk=appointment.pk).update(wrong_codes=5)
    client.force_login(vaccinator)
    page = client.get(reverse("checkin:appointment", args=[appointment.pk])).content.decode()
    assert f"••••{today_rows.registration.id_last4}" in page
    refused = _post(client, appointment, without_code_reason="SMS deleted")
    assert refused.status_code == 200  # the ID was not ticked as seen
    response = _post(client, appointment, id_seen="on", without_code_reason="SMS deleted")
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ATTENDED
    assert appointment.checked_in_without_code == "SMS deleted"
    latest = appointment.history.first()
    assert latest.history_user == vaccinator and "SMS deleted" in latest.history_change_reason
