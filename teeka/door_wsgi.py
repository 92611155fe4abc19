"""The door pool's WSGI application (teeka.door.DoorPool): the waiting
pages, in processes of their own that nginx sends first visits to
(deploy/gunicorn-door.conf.py, deploy/nginx/teeka.conf). Django's settings,
translations and templates are loaded; its request handler is not, and no
database connection is ever opened."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teeka.settings")
django.setup(set_prefix=False)

from teeka.door import DoorPool  # noqa: E402 (once the apps are set up)

application = DoorPool()

# As teeka/wsgi.py: what is loaded lives as long as the process.
gc.freeze()
