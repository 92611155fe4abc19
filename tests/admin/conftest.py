"""The cast for the admin tests: the shared officials, given their role
group, and one of each row in Raipur and in Bastar."""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, User

from districts import roles
from districts.models import OfficialProfile
from registrations.models import Registration
from slots.models import Appointment, Centre, Session

from .. import factories


def give_role(user: User, role: str) -> User:
    user.groups.add(Group.objects.get(name=role))
    return user


def staff_user(username: str, role: str, district, *, is_staff: bool = True) -> User:
    user = User.objects.create_user(username, password="correct horse battery", is_staff=is_staff)
    OfficialProfile.objects.create(user=user).districts.add(district)
    return give_role(user, role)


@pytest.fixture
def role_groups(db) -> None:
    # Transactional tests flush every table, the role groups too: make them
    # again as the migration does (ordinary tests find them already there).
    if not Group.objects.filter(name=roles.DISTRICT_OFFICIAL).exists():
        from django.apps import apps

        from districts.role_permissions import sync_role_groups

        sync_role_groups(apps)


@pytest.fixture
def raipur_official(raipur_official, role_groups) -> User:
    return give_role(raipur_official, roles.DISTRICT_OFFICIAL)


@pytest.fixture
def bastar_official(bastar_official, role_groups) -> User:
    return give_role(bastar_official, roles.DISTRICT_OFFICIAL)


@dataclass
class Rows:
    registration: Registration
    centre: Centre
    session: Session
    appointment: Appointment


def rows_in(locality, *, account=None) -> Rows:
    registration = factories.make_registration(locality=locality, account=account)
    centre = factories.make_centre(locality=locality)
    session = factories.make_session(centre=centre, booked=1)
    appointment = Appointment.objects.create(registration=registration, session=session, dose=1)
    Registration.objects.filter(pk=registration.pk).update(status=Registration.Status.ALLOTTED)
    return Rows(registration, centre, session, appointment)


@pytest.fixture
def raipur_rows(raipur_village) -> Rows:
    return rows_in(raipur_village, account=factories.make_account())


@pytest.fixture
def bastar_rows(bastar_village) -> Rows:
    return rows_in(bastar_village, account=factories.make_account())
