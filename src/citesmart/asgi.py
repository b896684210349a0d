import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citesmart.settings")
application = get_asgi_application()

# As in wsgi.py: this server process listens for committed writes (analytics/push.py).
from citesmart.analytics import push  # noqa: E402 - needs the application set up first

push.start_for_server()
