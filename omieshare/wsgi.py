import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omieshare.settings")
application = get_wsgi_application()

# At INFO, logs the broker this server enqueues to, and an ERROR for each disagreement with the
# live workers (omieshare/supervision/checks.py).
from omieshare.supervision.checks import startup_report  # noqa: E402

startup_report()
