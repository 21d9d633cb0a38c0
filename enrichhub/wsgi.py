import os

from django.core.wsgi import get_wsgi_application

from enrichhub.database import PROCESS_VARIABLE, WEB_PROCESS

# Before the settings load: the web tier may connect through a pooler (enrichhub.database).
os.environ.setdefault(PROCESS_VARIABLE, WEB_PROCESS)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enrichhub.settings")
application = get_wsgi_application()
