# ruff: noqa: E501 (the English must stay exactly as the libraries write it)
"""Hindi for the words the admin's libraries ship without it.

Django's admin has a partial Hindi catalog; django-import-export and
django-simple-history have none. Naming their English here puts it in our
catalog (makemessages reads this file) and Django prefers our translations
(LOCALE_PATHS) to a library's own. The English must match the library's
exactly (it was taken from their sources); after upgrading one, compare again.
Nothing imports this module.
"""

from django.utils.translation import gettext_noop as _
from django.utils.translation import ngettext_lazy

# django.contrib.admin: what its Hindi catalog leaves in English (its catalog
# predates some of the admin's newer words, such as "Show counts").
DJANGO_ADMIN = [
    _("Administration"),
    _("No date"),
    _("Has date"),
    _("Empty"),
    _("Not empty"),
    _("Addition"),
    _("Deletion"),
    _("user"),
    _("content type"),
    _("Added “%(object)s”."),
    _("Changed “%(object)s” — %(changes)s"),
    _("Deleted “%(object)s.”"),
    _("Added {name} “{object}”."),
    _("Added."),
    _("Changed {fields} for {name} “{object}”."),
    _("Changed {fields}."),
    _("Deleted {name} “{object}”."),
    _("Hold down “Control”, or “Command” on a Mac, to select more than one."),
    _("Select this object for an action - {}"),
    _("The {name} “{obj}” was added successfully."),
    _("You may edit it again below."),
    _("The {name} “{obj}” was added successfully. You may add another {name} below."),
    _("The {name} “{obj}” was changed successfully. You may edit it again below."),
    _("The {name} “{obj}” was changed successfully. You may add another {name} below."),
    _("The {name} “{obj}” was changed successfully."),
    _("The %(name)s “%(obj)s” was deleted successfully."),
    _("%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?"),
    _("View %s"),
    _(
        "Deleting %(class_name)s %(instance)s would require deleting the following protected related objects: %(related_objects)s"
    ),
    _("%(app)s administration"),
    _("We’re sorry, but the requested page could not be found."),
    _(
        "There’s been an error. It’s been reported to the site administrators via email and should be fixed shortly. Thanks for your patience."
    ),
    _("Breadcrumbs"),
    _("Model name"),
    _("Add link"),
    _("Change or view list link"),
    _("View"),
    _("You don’t have permission to view or edit anything."),
    _("After you’ve created a user, you’ll be able to edit more user options."),
    _("Error:"),
    _("Set password"),
    ngettext_lazy("Please correct the error below.", "Please correct the errors below.", 1),
    _("This action will <strong>enable</strong> password-based authentication for this user."),
    _("Disable password-based authentication"),
    _("Enable password-based authentication"),
    _("Skip to main content"),
    _("View site"),
    _("Hide counts"),
    _("Show counts"),
    _("Clear all filters"),
    _("Toggle theme (current theme: auto)"),
    _("Toggle theme (current theme: light)"),
    _("Toggle theme (current theme: dark)"),
    _("Objects"),
    _("Yes, I’m sure"),
    _("No, take me back"),
    _("Summary"),
    _("Recent actions"),
    _("My actions"),
    _("Added:"),
    _("Changed:"),
    _("Deleted:"),
    _(
        "Something’s wrong with your database installation. Make sure the appropriate database tables have been created, and make sure the database is readable by the appropriate user."
    ),
    _(
        "You are authenticated as %(username)s, but are not authorized to access this page. Would you like to login to a different account?"
    ),
    _("Forgotten your login credentials?"),
    _("Toggle navigation"),
    _("Sidebar"),
    _("Start typing to filter…"),
    _("Filter navigation items"),
    ngettext_lazy("entry", "entries", 1),
    _("This object doesn’t have a change history. It probably wasn’t added via this admin site."),
    _("Popup closing…"),
    _("Save and view"),
    _("Close"),
    _("Change selected %(model)s"),
    _("Add another %(model)s"),
    _("Delete selected %(model)s"),
    _("View selected %(model)s"),
    _("Thanks for spending some quality time with the web site today."),
    _(
        "Please enter your old password, for security’s sake, and then enter your new password twice so we can verify you typed it in correctly."
    ),
    _(
        "We’ve emailed you instructions for setting your password, if an account exists with the email you entered. You should receive them shortly."
    ),
    _(
        "If you don’t receive an email, please make sure you’ve entered the address you registered with, and check your spam folder."
    ),
    _("In case you’ve forgotten, you are:"),
    _(
        "Forgotten your password? Enter your email address below, and we’ll email instructions for setting a new one."
    ),
    _("Select all objects on this page for an action"),
    _("Select %s to view"),
]

# django-import-export: the import and export pages officials use.
IMPORT_EXPORT = [
    _("Import"),
    _("Import finished: {} new, {} updated, {} deleted and {} skipped {}."),
    _(
        "%(exc_name)s encountered while trying to read file. Ensure you have chosen the correct format for the file."
    ),
    _("No valid data to import. Ensure your file has the correct headers or data for import."),
    _("Export"),
    _("Export selected %(verbose_name_plural)s"),
    _("export failed due to IllegalCharacterError"),
    _("Resource"),
    _("Format"),
    _("File to import"),
    _('Select at least 1 field for "%(resource_name)s" to export'),
    _("Home"),
    ngettext_lazy("Export %(len)s selected item.", "Export %(len)s selected items.", 1),
    _("This exporter will export the following fields: "),
    _("Select all"),
    _("Submit"),
    _(
        "Below is a preview of data to be imported. If you are satisfied with the results, click 'Confirm import'"
    ),
    _("Confirm import"),
    _("Errors"),
    _("Line number"),
    _("Some rows failed to validate"),
    _(
        "Please correct these errors in your data where possible, then reupload it using the form above."
    ),
    _("Row"),
    _("Non field specific"),
    _("Preview"),
    _("New"),
    _("Skipped"),
    _("Delete"),
    _("Update"),
    _("This importer will import the following fields: "),
    _("Value could not be parsed."),
]

# django-simple-history: each row's history pages.
SIMPLE_HISTORY = [
    _("View history: %s"),
    _("Change history: %s"),
    _('The %(name)s "%(obj)s" was changed successfully.'),
    _("You may edit it again below"),
    _("View %s"),
    _("Revert %s"),
    _("Created"),
    _("Changed"),
    _("Deleted"),
    _("Deleted %(type_name)s"),
    _("Choose a date from the list below to revert to a previous version of this object."),
    _("This object doesn't have a change history."),
    _("Home"),
    _("History"),
    _("View %(verbose_name)s"),
    _("Revert %(verbose_name)s"),
    _("View on site"),
    _("Press the 'Revert' button below to revert to this version of the object."),
    _("Press the 'Change History' button below to edit the history."),
    _("Object"),
    _("Date/time"),
    _("Comment"),
    _("Changed by"),
    _("Change reason"),
    _("Changes"),
    _("None"),
    ngettext_lazy("entry", "entries", 1),
    _("Revert"),
    _("Change History"),
    _("Close"),
]
