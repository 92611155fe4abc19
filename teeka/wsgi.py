import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teeka.settings")
application = get_wsgi_application()

# The waiting room's door: it takes the word of the door pool (which answers
# most waiting pages in processes of its own, teeka/door_wsgi.py) and answers
# the rest before Django's handler and middleware (teeka/door.py); imported
# once the apps are set up.
from teeka.door import WaitingRoomDoor  # noqa: E402

application = WaitingRoomDoor(application)

# Everything loaded so far (Django, the apps, the URLconf) lives as long as the
# process: keep it out of the garbage collector's scans, which otherwise walk
# it again on every full collection while requests wait.
gc.freeze()
