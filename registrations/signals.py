"""What registrations tell the apps above them, so that they need not be
imported here (the help desk notes a change made from one of its tickets)."""

from django.dispatch import Signal

# Sent inside the admin's transaction after an official saved a change to a
# registration: registration, user, changed (the changed fields' labels) and
# request (whose query string says where the official came from).
changed_by_official = Signal()
