"""The role matrix: what each staff role may see and do, as one table.

Everything else is derived from it or asks it:
- the role groups' Django permissions (districts.role_permissions derives
  them from MATRIX and MODEL_SUBJECTS);
- every ModelAdmin's has_*_permission (districts.scoped_admin.MatrixAdmin);
- every page of the admin, the check-in and the dashboard, by its URL name
  (PAGES, checked by districts.middleware.RoleMatrixMiddleware before the view
  runs; a page missing here is refused to everybody).

Which *districts* a person sees is not here: OfficialProfile says that, and
districts.scoping applies it.
"""

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from . import roles


class Subject(StrEnum):
    PLACES = "places"  # districts, blocks and towns, villages and wards
    PEOPLE = "people"  # registrations, accounts, slips, duplicates, day lists
    BOOKINGS = "bookings"  # appointments: allot and cancel by hand
    SESSIONS = "sessions"  # centres and sessions, with their seat counts
    COUNTS = "counts"  # the dashboard and its downloads (numbers, no person)
    TICKETS = "tickets"  # the help-desk queue
    EXPORTS = "exports"  # lists of people taken away as files
    IMPORTS = "imports"  # paper lists read in
    CHECK_IN = "check_in"  # the vaccinator's check-in pages
    STAFF = "staff"  # staff users, roles, profiles, the SMS outbox, sign-in lockouts
    POLICY = "policy"  # the allotment policy: category quotas and their shares


VIEW, ADD, CHANGE, DELETE, MOVE = "view", "add", "change", "delete", "move"
EVERYTHING = frozenset({VIEW, ADD, CHANGE, DELETE, MOVE})
V = frozenset({VIEW})
VAC = frozenset({VIEW, ADD, CHANGE})

# role x subject -> what the role may do with it. A subject not named is not seen at all.
MATRIX: dict[str, dict[Subject, frozenset[str]]] = {
    roles.STATE_ADMIN: {subject: EVERYTHING for subject in Subject},
    roles.DISTRICT_OFFICIAL: {
        Subject.PLACES: V,
        Subject.PEOPLE: VAC,
        Subject.BOOKINGS: VAC,
        Subject.SESSIONS: VAC,
        Subject.COUNTS: V,
        Subject.EXPORTS: V,
        Subject.IMPORTS: frozenset({ADD}),
    },
    roles.HELP_DESK: {
        Subject.PLACES: V,
        Subject.PEOPLE: VAC,
        Subject.BOOKINGS: V,
        Subject.SESSIONS: V,
        # Answer and close, never add or delete; move a registration to its rightful mobile.
        Subject.TICKETS: frozenset({VIEW, CHANGE, MOVE}),
    },
    # Counts only: geography, centres and sessions with their seat numbers, the dashboard.
    roles.HEALTH_DEPARTMENT: {
        Subject.PLACES: V,
        Subject.SESSIONS: V,
        Subject.COUNTS: V,
    },
    # The check-in page only; which centres is Centre.staff.
    roles.VACCINATOR: {Subject.CHECK_IN: frozenset({CHANGE})},
}

# Model -> (its subject, the actions that exist for it at all): an account is
# only ever read, a ticket is never added or deleted by staff.
MODEL_SUBJECTS: dict[tuple[str, str], tuple[Subject, frozenset[str]]] = {
    ("districts", "district"): (Subject.PLACES, EVERYTHING),
    ("districts", "area"): (Subject.PLACES, EVERYTHING),
    ("districts", "locality"): (Subject.PLACES, EVERYTHING),
    ("districts", "officialprofile"): (Subject.STAFF, EVERYTHING),
    ("registrations", "registration"): (Subject.PEOPLE, VAC),
    ("registrations", "account"): (Subject.PEOPLE, V),
    ("slots", "centre"): (Subject.SESSIONS, VAC),
    ("slots", "session"): (Subject.SESSIONS, VAC),
    ("slots", "appointment"): (Subject.BOOKINGS, VAC),
    ("helpdesk", "ticket"): (Subject.TICKETS, frozenset({VIEW, CHANGE})),
    ("helpdesk", "ticketevent"): (Subject.TICKETS, V),
    ("teeka", "outboundsms"): (Subject.STAFF, EVERYTHING),
    # The state administrator's alone (the matrix gives POLICY to no other role).
    ("quotas", "policy"): (Subject.POLICY, EVERYTHING),
    ("quotas", "category"): (Subject.POLICY, EVERYTHING),
    ("auth", "user"): (Subject.STAFF, EVERYTHING),
    ("auth", "group"): (Subject.STAFF, EVERYTHING),
    ("axes", "accessattempt"): (Subject.STAFF, EVERYTHING),
    ("axes", "accesslog"): (Subject.STAFF, EVERYTHING),
    ("axes", "accessfailurelog"): (Subject.STAFF, EVERYTHING),
}

# Permission codenames Django does not make itself: (app, model, codename,
# name, subject, action).
CUSTOM_PERMISSIONS = [
    (
        "slots",
        "appointment",
        "check_in",
        "Can check people in at their centre",
        Subject.CHECK_IN,
        CHANGE,
    ),
    (
        "registrations",
        "registration",
        "import_registration",
        "Can import registrations",
        Subject.IMPORTS,
        ADD,
    ),
    (
        "registrations",
        "registration",
        "export_registration",
        "Can export registrations",
        Subject.EXPORTS,
        VIEW,
    ),
    # Declared in helpdesk.models.Ticket.Meta.permissions.
    ("helpdesk", "ticket", "move_registration", None, Subject.TICKETS, MOVE),
]

Need = tuple[tuple[Subject, str], ...]
OPEN: Need = ()  # any signed-in staff user (the page itself shows nothing of a subject)
NOBODY: Need = ((Subject.STAFF, "nobody"),)  # no role does "nobody"

# What a page of a model's admin needs, by the end of its URL name:
# (for GET, for POST). A changelist's POST runs actions, which check their own.
MODEL_PAGES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "changelist": ((VIEW,), (VIEW,)),
    "add": ((ADD,), (ADD,)),
    "change": ((VIEW,), (CHANGE,)),
    "delete": ((DELETE,), (DELETE,)),
    "history": ((VIEW,), (VIEW,)),
    "simple_history": ((VIEW,), (CHANGE,)),
}
PEOPLE_IMPORT: Need = ((Subject.PEOPLE, ADD), (Subject.IMPORTS, ADD))
PEOPLE_EXPORT: Need = ((Subject.PEOPLE, VIEW), (Subject.EXPORTS, VIEW))

# Every other page, by namespace and URL name: (for GET, for POST).
PAGES: dict[str, tuple[Need, Need]] = {
    # The admin site's own pages. The index lists only what the matrix lets
    # a user see; an app's page is a 404 when nothing in it is.
    "admin:index": (OPEN, OPEN),
    "admin:app_list": (OPEN, OPEN),
    "admin:login": (OPEN, OPEN),
    "admin:logout": (OPEN, OPEN),
    "admin:password_change": (OPEN, OPEN),
    "admin:password_change_done": (OPEN, OPEN),
    "admin:jsi18n": (OPEN, OPEN),
    # Asks the target model's admin (has_view_permission) itself.
    "admin:autocomplete": (OPEN, OPEN),
    # Only for models with get_absolute_url, which none of ours has.
    "admin:view_on_site": (OPEN, OPEN),
    # Unnamed: the admin's "add a slash or 404", and a bare object id sent on
    # to its change page (which is checked in its turn).
    "admin:django.contrib.admin.sites.catch_all_view": (OPEN, OPEN),
    "admin:django.views.generic.base.RedirectView": (OPEN, OPEN),
    "admin:auth_user_password_change": (((Subject.STAFF, CHANGE),), ((Subject.STAFF, CHANGE),)),
    "admin:registrations_registration_register": (
        ((Subject.PEOPLE, ADD),),
        ((Subject.PEOPLE, ADD),),
    ),
    "admin:registrations_registration_slip": (((Subject.PEOPLE, VIEW),), ((Subject.PEOPLE, VIEW),)),
    "admin:registrations_registration_duplicates": (
        ((Subject.PEOPLE, VIEW),),
        ((Subject.PEOPLE, CHANGE),),
    ),
    "admin:registrations_registration_import": (PEOPLE_IMPORT, PEOPLE_IMPORT),
    "admin:registrations_registration_process_import": (PEOPLE_IMPORT, PEOPLE_IMPORT),
    "admin:registrations_registration_import_template": (PEOPLE_IMPORT, PEOPLE_IMPORT),
    "admin:registrations_registration_import_jobs": (PEOPLE_IMPORT, PEOPLE_IMPORT),
    "admin:registrations_registration_import_job": (PEOPLE_IMPORT, PEOPLE_IMPORT),
    "admin:registrations_registration_import_confirm": (PEOPLE_IMPORT, PEOPLE_IMPORT),
    "admin:registrations_registration_export": (PEOPLE_EXPORT, PEOPLE_EXPORT),
    # A big export's page and file: its asker's only (the view checks that too).
    "admin:registrations_registration_export_job": (PEOPLE_EXPORT, PEOPLE_EXPORT),
    "admin:registrations_registration_export_download": (PEOPLE_EXPORT, PEOPLE_EXPORT),
    "admin:slots_session_plan": (((Subject.SESSIONS, ADD),), ((Subject.SESSIONS, ADD),)),
    "admin:slots_session_allocate": (
        ((Subject.SESSIONS, CHANGE),),
        ((Subject.SESSIONS, CHANGE),),
    ),
    "admin:slots_session_capacity": (
        ((Subject.SESSIONS, CHANGE),),
        ((Subject.SESSIONS, CHANGE),),
    ),
    "admin:slots_session_cancel": (((Subject.SESSIONS, CHANGE),), ((Subject.SESSIONS, CHANGE),)),
    "admin:slots_session_day_list": (
        ((Subject.SESSIONS, VIEW), (Subject.PEOPLE, VIEW)),
        ((Subject.SESSIONS, VIEW), (Subject.PEOPLE, VIEW)),
    ),
    "admin:slots_session_day_list_xlsx": (
        ((Subject.SESSIONS, VIEW), *PEOPLE_EXPORT),
        ((Subject.SESSIONS, VIEW), *PEOPLE_EXPORT),
    ),
    # One POST per piece of work on a ticket; moving also asks for MOVE itself.
    "admin:helpdesk_ticket_work": (((Subject.TICKETS, CHANGE),), ((Subject.TICKETS, CHANGE),)),
    "checkin:home": (((Subject.CHECK_IN, CHANGE),), ((Subject.CHECK_IN, CHANGE),)),
    "checkin:session": (((Subject.CHECK_IN, CHANGE),), ((Subject.CHECK_IN, CHANGE),)),
    "checkin:open_vial": (((Subject.CHECK_IN, CHANGE),), ((Subject.CHECK_IN, CHANGE),)),
    "checkin:call_standby": (((Subject.CHECK_IN, CHANGE),), ((Subject.CHECK_IN, CHANGE),)),
    "checkin:standby": (((Subject.CHECK_IN, CHANGE),), ((Subject.CHECK_IN, CHANGE),)),
    "checkin:appointment": (((Subject.CHECK_IN, CHANGE),), ((Subject.CHECK_IN, CHANGE),)),
    "checkin:login": (OPEN, OPEN),
    "checkin:logout": (OPEN, OPEN),
    "dashboard:dashboard": (((Subject.COUNTS, VIEW),), ((Subject.COUNTS, VIEW),)),
    "dashboard:export": (((Subject.COUNTS, VIEW),), ((Subject.COUNTS, VIEW),)),
}
# Stock admin pages nobody opens: these rows are made, changed or ended only
# through their workflows (assisted registration, allot(), cancelling, a
# citizen's ticket, the outbox, django-axes), and are never deleted.
CLOSED_PAGES = [
    "registrations_registration_add",
    "registrations_registration_delete",
    "registrations_account_add",
    "registrations_account_delete",
    "slots_appointment_add",
    "slots_appointment_delete",
    "slots_centre_delete",
    "slots_session_delete",
    "helpdesk_ticket_add",
    "helpdesk_ticket_delete",
    "teeka_outboundsms_add",
    "axes_accessattempt_add",
    "axes_accesslog_add",
    "axes_accessfailurelog_add",
]
READ_ONLY_PAGES = [
    ("registrations_account_change", Subject.PEOPLE),
    ("teeka_outboundsms_change", Subject.STAFF),
]
PAGES.update({f"admin:{name}": (NOBODY, NOBODY) for name in CLOSED_PAGES})
PAGES.update({f"admin:{name}": (((subject, VIEW),), NOBODY) for name, subject in READ_ONLY_PAGES})

# Namespaces whose every page is in the matrix; the public pages live elsewhere.
GUARDED_NAMESPACES = ("admin", "checkin", "dashboard")
PUBLIC_PAGES = {"dashboard:stats"}


def roles_of(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    """The user's roles, asked once per request. A superuser is a state
    administrator; a user in no role group has no role."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if not hasattr(user, "_teeka_roles"):
        names = set(user.groups.filter(name__in=MATRIX).values_list("name", flat=True))
        if user.is_superuser:
            names.add(roles.STATE_ADMIN)
        user._teeka_roles = frozenset(names)
    return user._teeka_roles


def allows(user: AbstractBaseUser | AnonymousUser, subject: Subject, action: str) -> bool:
    return any(action in MATRIX[role].get(subject, ()) for role in roles_of(user))


def allows_all(user: AbstractBaseUser | AnonymousUser, need: Need) -> bool:
    return all(allows(user, subject, action) for subject, action in need)


def model_subject(app_label: str, model_name: str) -> tuple[Subject, frozenset[str]] | None:
    return MODEL_SUBJECTS.get((app_label, model_name))


def model_allows(user, app_label: str, model_name: str, action: str) -> bool:
    """Whether the matrix lets the user do `action` on a model; a model not in
    the matrix is nobody's but the state administrator's."""
    found = model_subject(app_label, model_name)
    if found is None:
        return roles.STATE_ADMIN in roles_of(user)
    subject, possible = found
    return action in possible and allows(user, subject, action)


def page_need(view_name: str, method: str) -> Need | None:
    """What a page needs (namespace:url_name), or None for a page the matrix
    does not know (which is refused)."""
    post = method not in ("GET", "HEAD", "OPTIONS")
    if view_name in PAGES:
        return PAGES[view_name][post]
    namespace, _sep, name = view_name.partition(":")
    if namespace != "admin":
        return None
    for (app, model), (subject, _possible) in MODEL_SUBJECTS.items():
        prefix = f"{app}_{model}_"
        if name.startswith(prefix) and name[len(prefix) :] in MODEL_PAGES:
            return tuple((subject, action) for action in MODEL_PAGES[name[len(prefix) :]][post])
    return None


def role_codenames(role: str) -> set[tuple[str, str]]:
    """(app_label, codename) pairs the role's group holds, from the matrix."""
    granted = MATRIX.get(role, {})
    pairs = {
        (app, f"{action}_{model}")
        for (app, model), (subject, possible) in MODEL_SUBJECTS.items()
        for action in granted.get(subject, frozenset()) & possible & {VIEW, ADD, CHANGE, DELETE}
    }
    pairs |= {
        (app, codename)
        for app, _model, codename, _name, subject, action in CUSTOM_PERMISSIONS
        if action in granted.get(subject, ())
    }
    return pairs
