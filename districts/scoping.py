"""District scoping in one place: who may see which district's rows.

Every admin list, change view, autocomplete, filter, action, export, the
dashboard and the help-desk queue ask visible_district_ids() and nothing else.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from .roles import STATEWIDE


def is_statewide(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name__in=STATEWIDE).exists()


def visible_district_ids(user: AbstractBaseUser | AnonymousUser) -> set[int] | None:
    """None means every district; otherwise the set (possibly empty) of the
    districts this user's profile names."""
    if is_statewide(user):
        return None
    if not user.is_authenticated or not user.is_active:
        return set()
    profile = getattr(user, "official", None)
    if profile is None:
        return set()
    return set(profile.districts.values_list("pk", flat=True))


def scope(
    queryset: QuerySet, user: AbstractBaseUser | AnonymousUser, path: str = "district"
) -> QuerySet:
    """Rows of queryset whose `path` (a lookup to a District) the user may see."""
    ids = visible_district_ids(user)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{path}__in": ids})
