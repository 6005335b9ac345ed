"""IncidentDesk settings: one module, driven by environment variables.

Every variable is described in docs/configuration.md.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(env("INCIDENTDESK_DATA_DIR", str(Path.cwd() / "data"))).resolve()


def _private_data_dir(folder: Path) -> None:
    """The data dir holds sessions, password hashes and the secret key: it is readable by its
    owner alone (0700) and so are the files in it (0600). A folder or file left more open (by
    an older version or by hand) is tightened at every start."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o077:
        folder.chmod(0o700)
    for entry in folder.iterdir():
        if entry.is_file() and not entry.is_symlink() and entry.stat().st_mode & 0o077:
            entry.chmod(0o600)


def private_file(path: Path) -> str:
    """`path`, created empty and 0600 when missing. SQLite opens an empty file as a new
    database and gives its -wal and -shm files the database file's permissions."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    return str(path)


_private_data_dir(DATA_DIR)


def _secret_key() -> str:
    """Use SECRET_KEY if set; otherwise generate one on first run and keep it in the data dir."""
    if env("SECRET_KEY"):
        return env("SECRET_KEY")
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("INCIDENTDESK_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]
# Where `incidentdesk serve` last listened, written by it: what links name when
# INCIDENTDESK_BASE_URL is unset (docs/configuration.md).
SERVED_AT_FILE = DATA_DIR / "served_at"


def _base_url() -> str:
    """INCIDENTDESK_BASE_URL; unset, the address `serve` listens on (so links in emails, feeds
    and the status page reach this desk whatever --host and --port were), else the default."""
    if configured := env("INCIDENTDESK_BASE_URL").strip():
        return configured.rstrip("/")
    try:
        served_at = SERVED_AT_FILE.read_text().strip()
    except OSError:
        served_at = ""
    return (served_at or "http://127.0.0.1:8000").rstrip("/")


BASE_URL = _base_url()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "huey.contrib.djhuey",
    "axes",
    "incidentdesk.core",
    "incidentdesk.accounts",
    "incidentdesk.incidents",
    "incidentdesk.statuspage",
    "incidentdesk.notifications",
    "incidentdesk.postmortems",
    "incidentdesk.chat",
    "incidentdesk.oncall",
    "incidentdesk.alerts",
    "incidentdesk.recovery",
    "incidentdesk.search",
    "incidentdesk.insights",
    "incidentdesk.config",  # the composition root: `serve`, `demo`
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "incidentdesk.core.middleware.FirstRunMiddleware",
    "incidentdesk.core.middleware.ApiJsonErrorsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "incidentdesk.config.urls"
WSGI_APPLICATION = "incidentdesk.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "incidentdesk.statuspage.context_processors.site_banner",
            ],
        },
    }
]

# Database: SQLite in the data dir by default; anything dj-database-url understands otherwise.
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend whose writers queue on a lock file (see its docstring).
            "ENGINE": "incidentdesk.config.sqlite",
            "NAME": private_file(DATA_DIR / "incidentdesk.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE takes the write lock when a transaction starts, so concurrent writers
                # queue on the busy timeout instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
            # Keep each thread's connection: opening one (and its PRAGMAs) per request is costly.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            # A file, not memory, so tests can open several connections at once.
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Login rate limit (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = int(env("INCIDENTDESK_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("INCIDENTDESK_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Time: stored in UTC; reports written in the reporting time zone.
USE_TZ = True
TIME_ZONE = env("INCIDENTDESK_TIME_ZONE", "UTC")
REPORTING_TIME_ZONE = env("INCIDENTDESK_REPORTING_TIME_ZONE", TIME_ZONE)
LANGUAGE_CODE = "en-us"
USE_I18N = False

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True

# Email: unset EMAIL_HOST means no mail (notifications.channels.email.mail_configured); set
# it to `localhost` for a mail server on this machine.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "IncidentDesk <incidentdesk@localhost>")

# Task queue (Huey): SQLite storage in the data dir by default, Redis when REDIS_URL is set.
REDIS_URL = env("REDIS_URL")
HUEY_IMMEDIATE = env_bool("INCIDENTDESK_TASKS_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": "incidentdesk",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        # An idle consumer checks for work at least every second (Huey's default is 10 s).
        "consumer": {"workers": 4, "worker_type": "thread", "max_delay": 1.0},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "incidentdesk",
        "filename": private_file(DATA_DIR / "tasks.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "worker_type": "thread", "max_delay": 1.0},
    }

# Status page and notifications
# Outbound webhooks to private, loopback or link-local addresses are refused unless allowed.
WEBHOOKS_ALLOW_PRIVATE = env_bool("INCIDENTDESK_WEBHOOKS_ALLOW_PRIVATE")
# Webhook subscribers must use https unless plain http is allowed.
WEBHOOKS_ALLOW_HTTP = env_bool("INCIDENTDESK_WEBHOOKS_ALLOW_HTTP")
WEBHOOK_TIMEOUT_SECONDS = 10
# ntfy servers that need a login (docs/configuration.md): comma-separated `host=secret` pairs,
# the secret an access token (tk_…) or `user:password`. Topic URLs follow the webhook rules.
NTFY_TOKENS = {
    host.strip().lower(): secret.strip()
    for host, _, secret in (p.partition("=") for p in env("NTFY_TOKENS").split(",") if "=" in p)
}
# Text messages and calls (docs/configuration.md): the provider ("twilio"; empty: none), where
# its API is (settable so tests can point it at a stand-in), the account and its secret token,
# and the number messages come from.
SMS_PROVIDER = env("SMS_PROVIDER")
SMS_API_URL = env("SMS_API_URL", "https://api.twilio.com")
SMS_ACCOUNT_SID = env("SMS_ACCOUNT_SID")
SMS_AUTH_TOKEN = env("SMS_AUTH_TOKEN")
SMS_FROM = env("SMS_FROM")
# Self-service subscriptions allowed per address per hour.
SUBSCRIBE_RATE_LIMIT = int(env("INCIDENTDESK_SUBSCRIBE_RATE_LIMIT", "5"))
# Seconds public pages and v2 JSON may be cached by browsers and CDNs.
STATUSPAGE_MAX_AGE = int(env("INCIDENTDESK_STATUSPAGE_MAX_AGE", "5"))
# When set, the whole public site is also written here as static files on every change.
STATUSPAGE_EXPORT_DIR = env("INCIDENTDESK_STATUSPAGE_EXPORT_DIR")

# Members of this Django group (managed in /admin/) see every restricted incident, as admins
# do; everyone else sees one only while taking part in it. Empty: admins alone.
SECURITY_GROUP = env("INCIDENTDESK_SECURITY_GROUP", "security")

# Bearer token that /metrics requires; when unset, /metrics answers 404.
METRICS_TOKEN = env("INCIDENTDESK_METRICS_TOKEN")

# Similar incidents also rank by meaning with the small embedding model shipped inside the
# optional `wordllama` package (pip install 'incidentdesk[similar]'); off, or not installed:
# by words, components, severity, causes and alert labels alone (docs/search.md).
SIMILAR_EMBEDDINGS = env_bool("INCIDENTDESK_SIMILAR_EMBEDDINGS")

# Hours a page's one-click acknowledge link works after it was sent (docs/oncall.md).
PAGE_ACK_LINK_HOURS = int(env("PAGE_ACK_LINK_HOURS", "24"))

# Slack: requests are checked with the app's signing secret, the Web API is called with the bot
# token; the API's address is settable so tests can point it at a stand-in.
SLACK_SIGNING_SECRET = env("SLACK_SIGNING_SECRET")
SLACK_BOT_TOKEN = env("SLACK_BOT_TOKEN")
SLACK_INCIDENTS_CHANNEL = env("SLACK_INCIDENTS_CHANNEL")
SLACK_API_URL = env("SLACK_API_URL", "https://slack.com/api/")
# Socket Mode (`incidentdesk chat slack-socket`), for an install Slack cannot reach: the
# app-level token (xapp-…, scope connections:write) the command opens its connection with.
SLACK_APP_TOKEN = env("SLACK_APP_TOKEN")

# Matrix (docs/configuration.md): a bot account on a homeserver, acting with its access token.
MATRIX_HOMESERVER_URL = env("MATRIX_HOMESERVER_URL")
MATRIX_BOT_USER = env("MATRIX_BOT_USER")
MATRIX_BOT_TOKEN = env("MATRIX_BOT_TOKEN")
MATRIX_INCIDENTS_ROOM = env("MATRIX_INCIDENTS_ROOM")

# The reaction that pins a chat message to the incident's timeline, as a name (`pushpin`) or an
# emoji (📌); a platform that sends the emoji (Matrix) matches the name too.
CHAT_PIN_REACTION = env("CHAT_PIN_REACTION", "pushpin")

# A firing alert whose group was resolved less than this many seconds ago re-opens that group
# (a flapping alert) instead of opening a new one.
ALERT_FLAP_WINDOW_SECONDS = int(env("ALERT_FLAP_WINDOW_SECONDS", "300"))

# Reports by email (docs/alerts.md): the help address (where replies to acknowledgements go),
# whether new reports are acknowledged, the largest message taken, and the optional IMAP
# mailbox polled every INTAKE_IMAP_POLL_SECONDS (imaps://user:password@host[:port]/INBOX).
INTAKE_EMAIL_ADDRESS = env("INTAKE_EMAIL_ADDRESS")
INTAKE_EMAIL_ACKNOWLEDGE = env_bool("INTAKE_EMAIL_ACKNOWLEDGE", True)
INTAKE_EMAIL_MAX_BYTES = int(env("INTAKE_EMAIL_MAX_BYTES", str(10 * 1024 * 1024)))
INTAKE_IMAP_URL = env("INTAKE_IMAP_URL")
INTAKE_IMAP_INTEGRATION = env("INTAKE_IMAP_INTEGRATION")
INTAKE_IMAP_POLL_SECONDS = int(env("INTAKE_IMAP_POLL_SECONDS", "60"))

# Adds POST /api/v1/bench/floor, the write path's floor the benchmark compares against
# (incidentdesk/config/bench_floor.py). Off in every installation.
BENCH_FLOOR = env_bool("INCIDENTDESK_BENCH_FLOOR")

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("INCIDENTDESK_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("INCIDENTDESK_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Huey's consumer adds its own handler; without this each line prints twice.
        "huey": {"propagate": False},
    },
}
