# graphite-web settings for bitcoin-netlab (imported as "local_settings" via PYTHONPATH=/etc/graphite).
import os

# entrypoint.sh sets GRAPHITE_SECRET_KEY (generated at each start unless given in the container's env).
SECRET_KEY = os.environ.get("GRAPHITE_SECRET_KEY", "")
if not SECRET_KEY:
    raise RuntimeError("GRAPHITE_SECRET_KEY is not set: start through entrypoint.sh, or pass -e GRAPHITE_SECRET_KEY=...")

TIME_ZONE = "UTC"
# No info.log (a line per series per render: tens of MB a day under a Grafana dashboard); exceptions go to
# stderr, i.e. `docker logs`, instead of a file in the container.
LOG_INFO_PERFORMANCE = False
LOG_FILE_EXCEPTION = "-"
LOG_ROTATION = False
DEFAULT_XFILES_FACTOR = 0

GRAPHITE_ROOT = "/usr/share/graphite-web"
CONF_DIR = "/etc/graphite"
STORAGE_DIR = "/var/lib/graphite/whisper"
WHISPER_DIR = "/var/lib/graphite/whisper"
STATIC_ROOT = "/usr/share/graphite-web/static"
LOG_DIR = "/var/log/graphite"
INDEX_FILE = "/var/lib/graphite/search_index"
DATABASES = {
    "default": {
        "NAME": "/var/lib/graphite/graphite.db",
        "ENGINE": "django.db.backends.sqlite3",
    }
}

# Points carbon-cache holds but has not written yet (so /render sees the last flush at once).
CARBONLINK_HOSTS = ["127.0.0.1:7002"]
FUNCTION_PLUGINS = []
