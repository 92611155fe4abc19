# ruff: noqa: E501 (the English must stay exactly as Django writes it)
"""Hindi for Django's own words where its Hindi is wrong or missing.

Django's Hindi spells some months without the anusvara ("नवमबर" for नवंबर),
turns both AM and PM into "बजे", writes Monday with a stray zero-width
joiner, and lacks the form messages for minimum and maximum length.
Naming the English here puts it in our catalog (makemessages reads this
file), and our catalog wins over Django's (LOCALE_PATHS). The English must
match Django's exactly; after upgrading Django, compare again. Nothing
imports this module.
"""

from django.utils.translation import gettext_noop as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

DATES = [
    _("September"),
    _("November"),
    _("December"),
    _("Monday"),
    _("Thursday"),
    pgettext_lazy("abbrev. month", "Sept."),
    pgettext_lazy("abbrev. month", "Nov."),
    pgettext_lazy("abbrev. month", "Dec."),
    pgettext_lazy("abbrev. month", "Jan."),
    pgettext_lazy("abbrev. month", "Feb."),
    pgettext_lazy("abbrev. month", "Aug."),
    _("AM"),
    _("PM"),
    _("a.m."),
    _("p.m."),
    _("midnight"),
    _("noon"),
]

FORMS = [
    _("This field is required."),
    _("Enter a whole number."),
    _("Enter a valid date."),
    _("Enter a number."),
    _("Enter a valid value."),
    _("Select a valid choice. %(value)s is not one of the available choices."),
    _("Select a valid choice. That choice is not one of the available choices."),
    _("Ensure this value is less than or equal to %(limit_value)s."),
    _("Ensure this value is greater than or equal to %(limit_value)s."),
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
]

# django.utils.timesince, which the help desk's SLA clock uses ("due in 3
# hours"): Django's Hindi leaves every unit empty, so it read "3 hours में".
TIMESINCE = [
    ngettext_lazy("%(num)d year", "%(num)d years", "num"),
    ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
    ngettext_lazy("%(num)d day", "%(num)d days", "num"),
    ngettext_lazy("%(num)d hour", "%(num)d hours", "num"),
    ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
]
