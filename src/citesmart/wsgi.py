import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citesmart.settings")
application = get_wsgi_application()

# Only server processes import this module (gunicorn, runserver): each listens for committed
# writes and refreshes its read model at once (analytics/push.py; ANALYTICS_PUSH=0: off).
from citesmart.analytics import push  # noqa: E402 - needs the application set up first

push.start_for_server()

# Before the first request: code, templates and the read model loaded (ops/warmup.py).
from citesmart.ops import warmup  # noqa: E402

warmup.warm()
