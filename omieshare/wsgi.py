import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omieshare.settings")
application = get_wsgi_application()

# At INFO, each web process says which broker it queues tasks to (README, "Métricas e logs").
from omieshare.lib.broker import log_web_ready  # noqa: E402 — needs the settings loaded above

log_web_ready()
