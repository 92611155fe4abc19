"""Teeka settings: one file, read from the environment.

With nothing set, a fresh clone runs locally on SQLite with Celery tasks run
in-process ("the embedded default"). Production sets DEBUG=False and must then
provide SECRET_KEY and ID_HASH_KEY.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from teeka.redis_breaker import BreakerConnection, SentinelBreakerConnection

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TEEKA_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = env_str(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_hours(name: str, default: str) -> tuple[int, int]:
    """A daily window "HH:MM-HH:MM" as minutes after midnight (24:00 ends the day)."""
    value = env_str(name, default)
    try:
        start, end = (int(h) * 60 + int(m) for h, m in (t.split(":") for t in value.split("-")))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must look like 08:00-20:00, not {value!r}") from None
    if not 0 <= start < end <= 24 * 60:
        raise ImproperlyConfigured(f"{name} must open before it closes, within a day: {value!r}")
    return start, end


def required_secret(name: str, dev_default: str) -> str:
    """A secret that production must set; only a DEBUG run may fall back."""
    value = env_str(name)
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"{name} must be set when DEBUG is off")


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = required_secret("SECRET_KEY", "dev-only-not-secret-" + "x" * 40)
# Keys the HMAC of photo-ID numbers; changing it orphans every stored hash.
ID_HASH_KEY = required_secret("ID_HASH_KEY", "dev-only-id-hash-key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "phonenumber_field",
    "simple_history",
    "import_export",
    "axes",
    "teeka",
    "districts",
    "registrations",
    "slots",
    "quotas",
    "helpdesk",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "teeka.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so static files keep their own long caching.
    "teeka.middleware.PrivateByDefaultMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before CSRF and authentication: the waiting page costs no more than its
    # Redis script (teeka/waiting_room.py).
    "teeka.middleware.WaitingRoomMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "districts.middleware.StaffIdleTimeoutMiddleware",
    # Every staff page asks the role matrix (districts.access) before its view runs.
    "districts.middleware.RoleMatrixMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "teeka.urls"
WSGI_APPLICATION = "teeka.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "teeka.context_processors.portal",
            ],
        },
    },
]

# The embedded default is a SQLite file; DATABASE_URL switches to PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'teeka.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        # A kept connection is checked before a request reuses it, so a
        # database restart costs one reconnect, not an error page.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default has a server and a periodic-task process writing:
    # take the write lock at BEGIN and wait for it rather than fail.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    # The queue's counters cover their counts in their indexes (INCLUDE) and
    # treat a missing vaccine as a value (NULLS NOT DISTINCT): PostgreSQL
    # features the embedded default does without, as `make run` needs
    # neither at its size. Said once here instead of at every command.
    SILENCED_SYSTEM_CHECKS = ["models.W040", "models.W047"]
# Parallel checkouts (and helpers) each get their own test database.
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DB_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
# How long a Redis call may wait (seconds). A frozen Redis (a stopped process,
# a dead network path) accepts the connection and never answers: without a
# timeout every page would hang with it.
REDIS_TIMEOUT = float(env_str("REDIS_TIMEOUT_SECONDS", "0.25"))
if REDIS_URL:
    # django-redis keeps one Redis client per process; Django's own backend
    # builds a new one for every cache call (about 0.1 ms of CPU each).
    # With Redis down or frozen a cache call logs the error and answers "not
    # there" (IGNORE_EXCEPTIONS): pages go on without the cache.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": REDIS_TIMEOUT,
                "SOCKET_TIMEOUT": REDIS_TIMEOUT,
                "IGNORE_EXCEPTIONS": True,
                # After a failure, skip Redis for a few seconds (one log line)
                # rather than wait out a timeout on every call.
                "CONNECTION_POOL_KWARGS": {"connection_class": BreakerConnection},
            },
        }
    }
    # Sessions are read from Redis, so a citizen's page costs no database
    # query for them, and written through to the database, so a Redis restart,
    # flush or outage signs nobody out (writes happen at sign-in and about
    # once a minute per citizen). teeka.sessions says how it bears a Redis
    # outage. The "cache" engine would also spare those writes, but would
    # lose every session with Redis.
    SESSION_ENGINE = "teeka.sessions"
else:
    # Not with a per-process cache: another process would keep serving a
    # session that was ended (signed out) in this one.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("hi", _("Hindi"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our Hindi date and time formats replace Django's (see teeka/formats/hi).
FORMAT_MODULE_PATH = ["teeka.formats"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "Asia/Kolkata"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "admin:login"
# django-axes first: it refuses a locked-out username before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# After AXES_FAILURE_LIMIT wrong passwords for one username from one address,
# that sign-in is locked for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The caller's address as every other per-address limit sees it, behind
# TEEKA_PROXY_COUNT proxies: REMOTE_ADDR there is nginx, and one bad actor
# could lock every official out.
AXES_CLIENT_IP_CALLABLE = "teeka.clients.client_ip"
AXES_RESET_ON_SUCCESS = True
# Staff sessions end after this long without a request.
STAFF_IDLE_SECONDS = env_int("STAFF_IDLE_SECONDS", 30 * 60)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)

# Behind a TLS-terminating proxy in production; DEBUG runs stay on plain HTTP.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

PHONENUMBER_DEFAULT_REGION = "IN"
PHONENUMBER_DB_FORMAT = "E164"

# Celery: Redis when REDIS_URL is set, otherwise tasks run in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest task (a district's allocation, a sending batch) is stopped
# after TASK_TIME_LIMIT; a message a killed worker held goes back to the
# queue after the broker's visibility timeout, which must stay above it or a
# task still running would be handed to a second worker.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("TASK_SOFT_TIME_LIMIT_SECONDS", 25 * 60)
CELERY_TASK_TIME_LIMIT = env_int("TASK_TIME_LIMIT_SECONDS", 30 * 60)
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 10 * 60,
    # A publish from a request (an official's change asking for a run) gives
    # up quickly when Redis is frozen; the change is saved, and the run is
    # caught up from the database (slots.tasks.catch_up_allocations).
    "socket_timeout": max(REDIS_TIMEOUT, 0.5),
    "socket_connect_timeout": max(REDIS_TIMEOUT, 0.5),
    # One attempt to connect for a publish (kombu's default retries for
    # seconds); a worker's own reconnecting is not limited by this.
    "max_retries": 0,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Sending SMS waits on the gateway, not the CPU: its own queue, so senders
# never hold back an allocation; a worker takes both queues unless -Q says.
CELERY_TASK_QUEUES = (Queue("celery"), Queue("sms"))
CELERY_TASK_ROUTES = {"teeka.tasks.*": {"queue": "sms"}}
CELERY_BEAT_SCHEDULE = {
    "allocate-every-district": {
        "task": "slots.tasks.allocate_all_districts",
        "schedule": timedelta(minutes=env_int("ALLOCATE_EVERY_MINUTES", 5)),
    },
    "catch-up-allocations": {
        "task": "slots.tasks.catch_up_allocations",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 55},
    },
    "send-pending-sms": {
        "task": "teeka.tasks.send_pending_sms",
        "schedule": timedelta(minutes=1),
        # A tick the broker kept through an outage is not worth running late.
        "options": {"expires": 55},
    },
    "forget-old-files": {
        "task": "registrations.tasks.forget_old_files",
        "schedule": timedelta(minutes=15),
    },
    "escalate-overdue-tickets": {
        "task": "helpdesk.tasks.escalate_overdue",
        "schedule": timedelta(minutes=10),
    },
    "mark-no-shows": {
        "task": "slots.tasks.mark_no_shows",
        "schedule": crontab(hour=0, minute=30),
    },
    "refresh-dashboard": {
        "task": "dashboard.tasks.refresh_summaries",
        "schedule": timedelta(minutes=env_int("DASHBOARD_REFRESH_MINUTES", 5)),
    },
    # The day-before reminders, as the quiet hours end: a seat given up by
    # 09:00 is still TEEKA_NOTICE_HOURS (24) ahead of a 09:00 session, so the
    # next person in the queue gets it instead of a dose going to waste.
    "send-reminders": {
        "task": "slots.tasks.send_reminders",
        "schedule": crontab(hour=env_int("REMINDER_HOUR", 7), minute=0),
    },
}

# Email reaches staff only (help-desk escalations). The default prints it.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "teeka@localhost")

# SMS: a dotted path to a backend class in teeka.sms.
SMS_BACKEND = env_str("SMS_BACKEND", "teeka.sms.FileBackend")
SMS_FILE_PATH = Path(env_str("SMS_FILE_PATH", str(VAR_DIR / "sms-outbox.jsonl")))
# Messages wait outside these hours (local time): nobody gets an SMS at night.
SMS_QUIET_START_HOUR = env_int("SMS_QUIET_START_HOUR", 21)
SMS_QUIET_END_HOUR = env_int("SMS_QUIET_END_HOUR", 7)
# Senders an allocation run calls in for its notices, beside beat's own.
SMS_SENDERS = env_int("SMS_SENDERS", 4)
# Replies to reminders reach POST /sms/inbound/ signed by the gateway with this
# key (HMAC-SHA256 of the body, hex, in X-Teeka-Signature). Unset in
# production: every inbound message is refused.
SMS_INBOUND_SECRET = env_str("SMS_INBOUND_SECRET") or ("dev-only-inbound" if DEBUG else None)

# The mission's own knobs.
TEEKA_STATE_NAME = _("Chhattisgarh")
TEEKA_HELPLINE = env_str("TEEKA_HELPLINE", "104")
TEEKA_MIN_AGE = env_int("TEEKA_MIN_AGE", 18)
TEEKA_MAX_PEOPLE_PER_ACCOUNT = 4
TEEKA_NOTICE_HOURS = env_int("TEEKA_NOTICE_HOURS", 24)
# Days that must pass after dose 1 before dose 2, per vaccine.
TEEKA_DOSE_INTERVAL_DAYS = {"COVISHIELD": 84, "COVAXIN": 28}
# Doses in one vial, and hours an opened vial may be used (then the doses left
# in it are wasted): the figures the vial labels and the state's guidance give.
TEEKA_VIALS = {
    "COVISHIELD": {"doses": 10, "open_hours": 4},
    "COVAXIN": {"doses": 20, "open_hours": 4},
}
# The wastage the dashboard holds each session, district and day against (%).
TEEKA_WASTAGE_TARGET_PERCENT = 1
# A standby call texts this share of its doses more people (or the session's
# margin, if more): measured in benchmarks/week.py (docs/performance.md, "A
# week of doses"): at 50, 1.25 to 1.46% of doses wasted; at 100, 0.74%, and
# about four people a session come to find the doses taken.
TEEKA_STANDBY_EXTRA_PERCENT = env_int("TEEKA_STANDBY_EXTRA_PERCENT", 100)
# Help desk: the SLA clock of a ticket, and how many tickets one mobile (a
# day) and one network address (an hour) may raise.
HELPDESK_FIRST_RESPONSE_HOURS = env_int("HELPDESK_FIRST_RESPONSE_HOURS", 4)
HELPDESK_RESOLUTION_HOURS = env_int("HELPDESK_RESOLUTION_HOURS", 48)
# The SLA clock only runs while the help desk works (India time, every day):
# a ticket raised at 23:00 is not late before anyone could answer it.
HELPDESK_WORKING_HOURS = env_hours("HELPDESK_WORKING_HOURS", "08:00-20:00")
HELPDESK_TICKETS_PER_MOBILE_PER_DAY = env_int("HELPDESK_TICKETS_PER_MOBILE_PER_DAY", 3)
HELPDESK_TICKETS_PER_IP_PER_HOUR = env_int("HELPDESK_TICKETS_PER_IP_PER_HOUR", 10)
# Those counters live in Redis: with Redis away, tickets are taken unlimited
# rather than refused (django-redis logs each failed call).
RATELIMIT_FAIL_OPEN = True
# After this many no-shows a person goes to the back of the queue.
TEEKA_NO_SHOWS_BEFORE_BACK_OF_QUEUE = env_int("TEEKA_NO_SHOWS_BEFORE_BACK_OF_QUEUE", 2)
# The public statistics hide any count smaller than this.
TEEKA_STATS_MIN_CELL = env_int("TEEKA_STATS_MIN_CELL", 10)

# Citizen sign-in by one-time code (registrations/otp.py).
TEEKA_OTP_VALID_SECONDS = 5 * 60
TEEKA_OTP_MAX_WRONG_TRIES = 5
TEEKA_OTP_LOCK_SECONDS = 15 * 60
TEEKA_OTP_SENDS_PER_WINDOW = 3
TEEKA_OTP_SEND_WINDOW_SECONDS = 15 * 60
# Per IP address, per window. Generous: mobile networks put many phones
# behind one address (carrier NAT), and help desks sign in many people.
TEEKA_OTP_IP_WINDOW_SECONDS = 10 * 60
TEEKA_OTP_IP_SENDS = env_int("TEEKA_OTP_IP_SENDS", 30)
TEEKA_OTP_IP_TRIES = env_int("TEEKA_OTP_IP_TRIES", 60)
# How many proxies in front of the app add to X-Forwarded-For (0: none).
TEEKA_PROXY_COUNT = env_int("TEEKA_PROXY_COUNT", 0)
# A citizen's session ends after this long without a page view.
TEEKA_CITIZEN_IDLE_SECONDS = env_int("TEEKA_CITIZEN_IDLE_SECONDS", 30 * 60)

# The waiting room (teeka/waiting_room.py): when WAITING_ROOM_ACTIVE people
# are in (each counted until WAITING_ROOM_IDLE_SECONDS pass without a
# request), a first visit waits its turn on a light page. 0: no waiting room.
WAITING_ROOM_ACTIVE = env_int("WAITING_ROOM_ACTIVE", 0)
# (A fraction of a second for robots, whose journeys have no pauses.)
WAITING_ROOM_IDLE_SECONDS = env_float("WAITING_ROOM_IDLE_SECONDS", 120)
# At most this many let in a second (0: twice ACTIVE / IDLE), so that places
# freed together do not let a crowd in at once.
WAITING_ROOM_ADMIT_PER_SECOND = env_int("WAITING_ROOM_ADMIT_PER_SECOND", 0)
# The waiting page refreshes itself between these (often near the front).
WAITING_ROOM_REFRESH_SECONDS = (
    env_int("WAITING_ROOM_REFRESH_MIN_SECONDS", 5),
    env_int("WAITING_ROOM_REFRESH_MAX_SECONDS", 60),
)
# A ticket or a pass unused for this long is void (a new visit takes a new one).
WAITING_ROOM_PASS_SECONDS = env_int("WAITING_ROOM_PASS_SECONDS", 30 * 60)
# With Redis away, each web process lets in this many new people per idle
# period, on its own (default: a fifth of ACTIVE, for 5 workers).
WAITING_ROOM_FALLBACK_ACTIVE = env_int(
    "WAITING_ROOM_FALLBACK_ACTIVE", max(1, WAITING_ROOM_ACTIVE // 5)
)
# Never queued: officials' pages, operators' probes, static files, the SMS
# gateway's webhook and the language switch.
WAITING_ROOM_OPEN_PATHS = (
    "/admin/",
    "/checkin/",
    "/dashboard/",
    "/healthz",
    "/metrics",
    "/static/",
    "/sms/inbound/",
    "/i18n/",
)

# --- Beyond one machine (deploy/, docs/operations.md) ------------------------
# Read replica: the dashboard, /stats/, exports and day lists read from
# REPLICA_DATABASE_URL while its replay lag is under
# TEEKA_REPLICA_MAX_LAG_SECONDS; everything else stays on the primary
# (teeka/replicas.py says which reads and why).
REPLICA_DATABASE_URL = env_str("REPLICA_DATABASE_URL")
TEEKA_REPLICA_MAX_LAG_SECONDS = env_int("TEEKA_REPLICA_MAX_LAG_SECONDS", 30)
# How long a web process trusts its last look at the replica's lag.
TEEKA_REPLICA_CHECK_SECONDS = env_int("TEEKA_REPLICA_CHECK_SECONDS", 5)
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = dj_database_url.parse(
        REPLICA_DATABASE_URL, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]
    )
    # A replica that does not answer is given up on quickly: the primary serves.
    DATABASES["replica"]["OPTIONS"] = {"connect_timeout": 2}
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    MIDDLEWARE = [*MIDDLEWARE, "teeka.replicas.PinToPrimaryMiddleware"]
DATABASE_ROUTERS = ["teeka.replicas.ReplicaRouter"]

# Redis through Sentinel: with REDIS_SENTINELS (host:port, comma-separated)
# set, REDIS_URL names the master by its Sentinel name (redis://teeka/0), and
# the cache and the Celery broker ask the Sentinels where the master is now,
# so they follow a failover.
REDIS_SENTINELS = [
    (host, int(port))
    for host, _, port in (item.rpartition(":") for item in env_list("REDIS_SENTINELS", []))
]
REDIS_SENTINEL_MASTER = env_str("REDIS_SENTINEL_MASTER", "teeka")
if REDIS_URL and REDIS_SENTINELS:
    DJANGO_REDIS_CONNECTION_FACTORY = "django_redis.pool.SentinelConnectionFactory"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        CLIENT_CLASS="django_redis.client.SentinelClient",
        SENTINELS=REDIS_SENTINELS,
        CONNECTION_POOL_KWARGS={"connection_class": SentinelBreakerConnection},
    )
    # One server, the master, for reads too: given a bare URL the Sentinel
    # client reads from replicas, which may miss what was written a moment ago
    # (and a restarted old master refuses while it loads).
    CACHES["default"]["LOCATION"] = [REDIS_URL]
    # The master's password and database ride on each Sentinel's URL (kombu
    # takes them from there; the Sentinels themselves have no password).
    _master = urlsplit(REDIS_URL)
    _auth = f"{_master.username or ''}:{_master.password}@" if _master.password else ""
    _db = _master.path.strip("/") or "0"
    CELERY_BROKER_URL = ";".join(f"sentinel://{_auth}{h}:{p}/{_db}" for h, p in REDIS_SENTINELS)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "master_name": REDIS_SENTINEL_MASTER,
    }

# Prometheus: request metrics from django-prometheus, and Teeka's own at
# /metrics (teeka/metrics.py), for requests bearing TEEKA_METRICS_TOKEN.
INSTALLED_APPS = [*INSTALLED_APPS, "django_prometheus"]
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
TEEKA_METRICS_TOKEN = env_str("TEEKA_METRICS_TOKEN")
# --- end of beyond one machine -------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# Officials' files (issues 14 and 15). Exports: every cell that would start a
# formula stays text (teeka.spreadsheets; the library's own escape as well).
# Imports: an uploaded paper list is read in memory, its ID cells masked at
# once, and only the masked rows are stored, on a job a worker checks and,
# once confirmed, writes (registrations.import_jobs). A preview waits this
# long for its confirmation.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
TEEKA_IMPORT_PREVIEW_SECONDS = env_int("TEEKA_IMPORT_PREVIEW_SECONDS", 20 * 60)
# A paper list bigger than this is read (and its IDs masked) by a thread of
# the web process after the upload request has answered.
TEEKA_IMPORT_READ_IN_REQUEST_BYTES = env_int("TEEKA_IMPORT_READ_IN_REQUEST_BYTES", 256 * 1024)
# An admin export of more rows than this is written by a worker
# (registrations.export_jobs) and kept for its asker this long.
TEEKA_EXPORT_IN_REQUEST_ROWS = env_int("TEEKA_EXPORT_IN_REQUEST_ROWS", 5000)
TEEKA_EXPORT_KEEP_SECONDS = env_int("TEEKA_EXPORT_KEEP_SECONDS", 6 * 3600)
# Uploads stay in memory: Django would write a bigger one to a temporary file
# (with whole ID numbers in it). A file over this size is not received at all.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)

# Content-Security-Policy (django-csp 4), on every page, the admin included:
# scripts and styles only from our own static files (no inline ones; the
# pages keep theirs in static/), nothing framed, forms posted only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        # The admin's widgets draw a few icons as data: URLs.
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    },
}
