import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "costdash.settings")
django.setup(set_prefix=False)  # as django.core.wsgi.get_wsgi_application does

from costdash.ops.wsgi import CostdashHandler  # noqa: E402 (after setup: it reads the URLconf)

# Django's handler, the live receivers' paths through a shorter middleware chain (costdash.ops.wsgi).
application = CostdashHandler()
