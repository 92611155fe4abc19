"""teeka.db.Selected gives the objects select_related() gives, for a statement
written once: the ORM's own reading is the oracle."""

import datetime

from django.utils import timezone

from registrations.models import Registration
from teeka.db import Selected
from tests.factories import make_account, make_registration

_SELECTED = Selected(Registration, "r", {"district": "d", "area": "a", "account": "c"})


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_it_reads_the_rows_and_their_related_rows_as_the_orm_does(
    account, raipur_village, django_assert_num_queries
):
    # One with an account (and a time with microseconds), one without (an
    # empty foreign key, an outer join), one with extra values after.
    with_account = make_registration(locality=raipur_village, account=account)
    registered = timezone.now() - datetime.timedelta(days=3, microseconds=123)
    Registration.objects.filter(pk=with_account.pk).update(registered_at=registered)
    without = make_registration(locality=raipur_village)
    sql = "SELECT {columns}, r.id * 2 FROM {tables} WHERE r.id IN (%s, %s) ORDER BY r.id"
    read = _SELECTED.all(sql, [with_account.pk, without.pk])
    expected = list(
        Registration.objects.filter(pk__in=[with_account.pk, without.pk])
        .select_related("district", "area", "account")
        .order_by("id")
    )
    assert [obj.pk for obj, _ in read] == [with_account.pk, without.pk]
    for (obj, extra), orm in zip(read, expected, strict=True):
        assert _fields(obj) == _fields(orm)
        assert extra == (orm.pk * 2,)
        assert _fields(obj.district) == _fields(orm.district)
        assert obj.district.name == orm.district.name
        assert _fields(obj.area) == _fields(orm.area)
    assert read[0][0].registered_at == registered
    assert read[0][0].account.mobile == account.mobile
    assert read[1][0].account is None
    # Nothing more is read to answer those.
    with django_assert_num_queries(0):
        read[0][0].district.name, read[0][0].area.name, read[0][0].account.language


def test_other_peoples_rows_are_not_read(raipur_village):
    mine, theirs = make_account(), make_account()
    make_registration(locality=raipur_village, account=theirs)
    sql = "SELECT {columns} FROM {tables} WHERE r.account_id = %s"
    assert _SELECTED.all(sql, [mine.pk]) == []
