import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teeka.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, the URLconf) lives as long as the
# process: keep it out of the garbage collector's scans, which otherwise walk
# it again on every full collection while requests wait.
gc.freeze()
