"""Settings for the NPQ Portal: one module, environment first.

Unset variables mean a developer's machine (SQLite, eager Celery, console email). Production
sets them, and `manage.py check --deploy --fail-level WARNING` fails on any left at its default
(see npq_portal/checks.py).
"""

import os
import random
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    value = os.environ.get(name, "").strip() or default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_str(name: str, default: str = "") -> str:
    """An empty variable counts as unset (`DATABASE_URL=` must not mean "no database")."""
    return os.environ.get(name, "").strip() or default


def database_from_url(url: str) -> dict:
    """Turn `postgres://user:password@host:port/name` into a Django DATABASES entry."""
    parts = urlparse(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ValueError(f"DATABASE_URL must be a postgres:// URL, not {parts.scheme}://")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return {
        # Django's backend with a health check that costs no round trip when the connection
        # is sound (npq_portal/postgresql/base.py).
        "ENGINE": "npq_portal.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # Reusing connections doubles throughput on PostgreSQL (STACK.md).
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }


def email_from_url(url: str) -> dict:
    """Turn `smtp://user:password@host:port?tls=1` (or smtps://) into email settings."""
    parts = urlparse(url)
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.scheme not in {"smtp", "smtps"}:
        raise ValueError(f"EMAIL_URL must be an smtp:// or smtps:// URL, not {parts.scheme}://")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": options.get("tls", "") in {"1", "true", "yes"},
    }


# ---- Core ----
DEBUG = env_bool("DEBUG", default=True)
DEVELOPMENT_SECRET_KEY = "django-insecure-local-development-only"
SECRET_KEY = env_str("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
# Where links in emails point: the address people reach the portal at.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "npq_portal",
    "programmes",
    "schools",
    "funding",
    "cohorts",
    "mailing_list",
    "applications",
    "participants",
    "assessment",
    "reminders",
    "reports",
    "privacy",  # reads every app's personal data, so it comes last
    "dfe",  # the exchange with DfE's API: may read every app, nothing imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but one, so every response gets the policy, redirects and 429s included.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "npq_portal.middleware.StaffSessionMiddleware",
]

ROOT_URLCONF = "npq_portal.urls"
WSGI_APPLICATION = "npq_portal.wsgi.application"

TEMPLATES = [
    {
        # Django's, each page's context let go of once drawn (npq_portal/template_backend.py).
        "BACKEND": "npq_portal.template_backend.DjangoTemplates",
        "NAME": "django",  # as Django names its own backend
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "npq_portal.context_processors.navigation",
                "npq_portal.context_processors.hub",
            ],
            # In every template: stored codes in words (npq_portal/words.py), short dates, and
            # {% url %} from the addresses kept (npq_portal/addresses.py).
            "builtins": [
                "npq_portal.templatetags.words",
                "npq_portal.templatetags.dates",
                "npq_portal.templatetags.addresses",
            ],
        },
    },
]

# Django's form renderer, drawing inputs, selects and text areas in Python (same HTML).
FORM_RENDERER = "npq_portal.form_renderer.PortalFormRenderer"

# ---- Database ----
DATABASE_URL = env_str("DATABASE_URL")
SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}
DATABASES = {"default": database_from_url(DATABASE_URL) if DATABASE_URL else SQLITE}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---- Cache ----
# allauth's rate limits and TOTP replay protection live in the cache, so with more than one
# process they only hold when the cache is shared: Redis when it is configured.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # An outage must slow the portal down, not take it down: this backend answers as
            # an empty cache while Redis is away (npq_portal/cache.py).
            "BACKEND": "npq_portal.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "npq",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions are read from the shared cache, and from the database only when the cache lost them:
# every signed-in page reads its session, and Redis answers that faster than PostgreSQL.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# ---- Celery ----
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL  # no Redis: each task runs in-process, at once
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves it for another
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish the broker refuses fails at once (no retries inside the request): the outbox
# keeps the task and its sweep hands it on later (npq_portal/outbox.py).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "max_retries": 0}
# The portal never reads a task's result. Asking for results made every publish subscribe to
# the result store too, which with Redis down held a page for 19 seconds and then failed.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Europe/London"
# Reminder timings, in one place (reminders/services.py reads them).
REMINDERS = {
    "session_before": {"2-days": timedelta(days=2), "2-hours": timedelta(hours=2)},
    "daily_cap": 3,  # optional reminders a person gets in a day at most
    "module_due_within_days": 3,  # "due soon" goes this many days before a module is due
    # A waiting-list offer's holder is reminded this long before it passes to the next person.
    "offer_expiring_within": timedelta(days=1),
    # Participants who have not submitted are told this long before an assessment window closes.
    "assessment_closing_within": timedelta(days=2),
}

# ---- Participation and assessment ----
# Participation needed to take the summative assessment (percent, so far; below it, or after
# two sessions missed in a row, the cohort grid shows someone at risk), and how many days a new
# window stays open unless staff choose. The largest file is in UPLOAD_LIMITS.
ASSESSMENT = {
    "participation_threshold": 90,
    "window_days": 8,
    # Moderation: every fail, plus each assessor's first pass in a window and every tenth after.
    "moderation_sample_every": 10,
    "max_attempts": 2,  # a first attempt and one resubmission in a later window
}

# ---- Uploads ----
# The largest file, in bytes, each upload takes (npq_portal.uploads). Judged by the size Django
# counted as the file arrived (spooled to a temporary file past 2.5 MB), before anything reads
# it into memory; what a file is, is judged by its content, never its name.
MB = 1024 * 1024
UPLOAD_LIMITS = {
    "gias": 200 * MB,  # the national GIAS extract is about 60 MB
    "eligibility_list": 20 * MB,  # a list of identifiers and names: a few MB at most
    "childcare_providers": 50 * MB,  # Ofsted's whole early-years register, with room
    "attendance_register": 5 * MB,  # a meeting's attendance report: a few hundred rows
    "assessment": 10 * MB,  # a participant's case study, or staff's case-study material
}

# How long the staff dashboard's figures are reused before they are counted again.
DASHBOARD_CACHE_SECONDS = 300

# ---- DfE milestones ----
# Which declaration a place's evidence supports, and when each is due (the rules, and what
# each key means, are at the top of reports/milestones.py). Percentages of participation over
# the whole programme support retained-1 and retained-2; programmes longer than 12 months have
# a retained-2; each milestone date falls that percentage of the way through the cohort, and
# completed that many days after its end.
MILESTONES = {
    "retained_1_percent": 30,
    "retained_2_percent": 60,
    "retained_2_longer_than_months": 12,
    "dates_with_retained_2": {"started": 15, "retained-1": 40, "retained-2": 70},
    "dates_without_retained_2": {"started": 20, "retained-1": 55},
    "completed_days_after_end": 120,
}

# ---- Exports ----
# A list of at most inline_max_rows rows downloads at once; a longer one is made by a Celery
# task (at once, in-process, without REDIS_URL) whose page shows its progress, saved every
# progress_every rows. Exports and their files are deleted keep_days days after they are made.
# One being made with no progress for stalled_after_minutes lost its worker: it is marked failed
# (its page says to export again) and asking again starts a new one.
EXPORTS = {
    "inline_max_rows": 2000,
    "progress_every": 500,
    "keep_days": 7,
    "stalled_after_minutes": 15,
}

# The VAT code the charges export gives each invoice line: NPQ training by an eligible body is
# exempt. A finance system that names its codes otherwise (e.g. "E") sets CHARGE_VAT_CODE.
CHARGE_VAT_CODE = env_str("CHARGE_VAT_CODE", "Exempt")

# The outbox (npq_portal/outbox.py): tasks recorded with the change that asked for them. The
# sweep hands on one never handed on after first_sweep_after (the broker was down) and one
# handed on but not done after again_after (its worker was lost), batch at a time; one handed
# on max_dispatches times is given up (and logged). After the broker refused, pages stop trying
# it for broker_retry_seconds. Finished entries are deleted after keep_days.
OUTBOX = {
    "first_sweep_after": timedelta(minutes=1),
    "again_after": timedelta(minutes=10),
    "batch": 500,
    "max_dispatches": 6,
    "broker_retry_seconds": 30,
    "keep_days": 14,
}

# ---- DfE's Lead Provider API (the dfe app) ----
# Off until hub staff set up and switch on a connection (/staff/dfe/). A token typed into the
# portal is stored encrypted with DFE_TOKEN_KEY (a Fernet key; by default one derived from
# SECRET_KEY, so changing SECRET_KEY means entering the token again). Requests are spaced
# min_interval_seconds apart (DfE allows 1,000 in 5 minutes a token: 0.35 s keeps near 860).
# Pulls go back `overlap` before the last successful one (DfE: "2 windows"). A change DfE
# could not take waits, and is tried again after retry_after_minutes doubled for each try
# (capped at retry_max_minutes). The hub overview warns when no pull succeeded for
# failing_after. DFE_FAKE_STATE is a file holding the demo's fake DfE (make run): a connection
# whose address is dfe.FAKE_URL talks to it, never to DfE.
DFE = {
    "token_key": env_str("DFE_TOKEN_KEY"),
    "min_interval_seconds": 0.35,
    "overlap": timedelta(hours=2),
    "retry_after_minutes": 5,
    "retry_max_minutes": 6 * 60,
    "failing_after": timedelta(days=1),
    # On a developer's machine the demo's fake DfE lives in .dfe-fake.pickle; never in production.
    "fake_state": env_str("DFE_FAKE_STATE", str(BASE_DIR / ".dfe-fake.pickle") if DEBUG else ""),
}
# DfE asks providers to pull at random times rather than on the hour: each deployment pulls at
# its own minute past the hour (drawn from its SECRET_KEY, so it stays put between restarts),
# and each pull waits a random few minutes more (sync_all_task's spread_seconds).
DFE_PULL_MINUTE = random.Random(f"dfe-pull:{SECRET_KEY}").randrange(60)  # noqa: S311

# ---- Personal data (UK GDPR) ----
# How long personal data is kept once it has served its purpose; `manage.py apply_retention`
# (daily, from beat below) applies these, and the privacy notice quotes them.
RETENTION = {
    # A mailing-list sign-up nobody confirmed is forgotten once its confirmation link has
    # expired (mailing_list/links.py CONFIRM_MAX_AGE): after that it can never be confirmed.
    "unconfirmed_subscribers": timedelta(days=7),
    # An application rejected or withdrawn loses the applicant's TRN, their headteacher's
    # details, the school's comment and free-text answers this long after that decision (its
    # status, cohort, school and funding decision stay, so every figure still adds up). A year
    # lets someone reapply the next year and the hub answer a question about the decision.
    "closed_applications": timedelta(days=365),
}
# A subject access export includes each uploaded file up to this size; a larger one is listed
# with a note to ask the hub, so the download stays small enough to make within a request.
PERSONAL_DATA = {"export_file_max_bytes": 20 * 1024 * 1024}

CELERY_BEAT_SCHEDULE: dict = {
    # Every minute: hand on outbox tasks still waiting (after a broker outage, or a lost worker).
    "sweep-outbox": {
        "task": "npq_portal.tasks.outbox_sweep_task",
        "schedule": crontab(minute="*"),
    },
    # Every day at 03:45 UK time: delete outbox entries finished more than keep_days ago.
    "forget-finished-outbox-tasks": {
        "task": "npq_portal.tasks.outbox_forget_done_task",
        "schedule": crontab(hour=3, minute=45),
    },
    # Every 5 minutes: send the reminders now due (sessions 2 days and 2 hours ahead).
    "run-due-reminders": {
        "task": "reminders.tasks.reminders_run_task",
        "schedule": crontab(minute="*/5"),
    },
    # Every 5 minutes: tell participants an assessment window opened, or closes in 2 days.
    "run-assessment-reminders": {
        "task": "reminders.tasks.assessment_reminders_run_task",
        "schedule": crontab(minute="*/5"),
    },
    # Every 5 minutes: work out again the milestone days of cohorts whose evidence changed
    # (reports/milestone_days.py), so the milestone and DfE declaration pages seldom wait.
    "bring-milestones-up-to-date": {
        "task": "reports.tasks.milestones_bring_up_to_date_task",
        "schedule": crontab(minute="*/5"),
    },
    # Every 5 minutes: compare again the linked DfE applications a change made out of date
    # (dfe/reconcile.py), so the reconciliation page seldom waits.
    "bring-reconciliation-up-to-date": {
        "task": "dfe.tasks.reconciliation_bring_up_to_date_task",
        "schedule": crontab(minute="*/5"),
    },
    # Every 5 minutes: release assessment results whose date has come (and email them).
    "release-assessment-results": {
        "task": "assessment.tasks.outcomes_release_due_task",
        "schedule": crontab(minute="*/5"),
    },
    # Every day at 03:15 UK time: apply the retention rules (RETENTION above), which include
    # forgetting mailing-list sign-ups never confirmed (subscribers_expire_unconfirmed).
    "apply-retention": {
        "task": "privacy.tasks.retention_apply_task",
        "schedule": crontab(hour=3, minute=15),
    },
    # Every day at 08:00: remind approvers at 3 and 7 days, then tell the hub at 10.
    "chase-school-approvals": {
        "task": "applications.tasks.approvals_chase_task",
        "schedule": crontab(hour=8, minute=0),
    },
    # Every hour, on the hour: let lapsed waiting-list offers go to the next person.
    "expire-waitlist-offers": {
        "task": "applications.tasks.waitlist_offers_expire_task",
        "schedule": crontab(minute=0),
    },
    # Every 5 minutes: send DfE again what it could not take earlier, once its backoff passed.
    "retry-dfe-changes": {
        "task": "dfe.tasks.outgoing_retry_due_task",
        "schedule": crontab(minute="*/5"),
    },
    # Every 3 hours (00:MM, 03:MM, … 21:MM UK time, MM below), then up to 15 minutes more:
    # pull what changed at DfE (applications, participants, …) and match it. Sunday at 22:MM
    # (and up to 15 minutes more): pull everything (DfE's weekly full sync).
    "pull-dfe-changes": {
        "task": "dfe.tasks.sync_all_task",
        "schedule": crontab(minute=DFE_PULL_MINUTE, hour="*/3"),
        "kwargs": {"spread_seconds": 15 * 60},
    },
    "pull-everything-from-dfe": {
        "task": "dfe.tasks.sync_all_task",
        "schedule": crontab(minute=DFE_PULL_MINUTE, hour=22, day_of_week="sun"),
        "kwargs": {"full": True, "spread_seconds": 15 * 60},
    },
    # Every day at 03:30 UK time: delete exports (and their files) older than keep_days.
    "forget-old-exports": {
        "task": "reports.tasks.exports_forget_old_task",
        "schedule": crontab(hour=3, minute=30),
    },
}

# ---- Email ----
EMAIL_URL = env_str("EMAIL_URL")
if EMAIL_URL:
    globals().update(email_from_url(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Where people write to the hub (e.g. to register interest in a programme).
HUB_CONTACT_EMAIL = env_str("HUB_CONTACT_EMAIL", "hub@example.org")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "NPQ Portal <npq@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 10

# ---- Accounts (allauth) ----
AUTH_USER_MODEL = "npq_portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "npq_portal.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "npq_portal.forms.SignupForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "NPQ Portal: "
ACCOUNT_PRESERVE_USERNAME_CASING = False
# allauth's rate limits are on by default; spelled out so they are reviewed, not assumed.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
}
# The portal's own public pages (npq_portal/ratelimit.py), in allauth's format: "amount/period/
# per", where per is ip (each address, IPv6 by /64), or key (each email address or link).
# Over a limit, the person gets templates/429.html and waits for the window to move on.
RATE_LIMITS = {
    # Mailing-list sign-ups: each sends a confirmation email, so a script must not turn the
    # form into a way to flood someone's inbox: per address, and per email address signed up.
    "subscribe": "10/m/ip,30/h/ip,3/h/key",
    # Links in emails (mailing list: confirm, manage, unsubscribe; reminders: stop) and the
    # school approval link: every request, per address and per link, far above what a person
    # clicking through needs. An approval link also posts decisions and delegations (emails).
    "email_link": "30/m/ip,30/m/key",
    "school_approval": "30/m/ip,60/h/key",
    # Links that match nothing (forged, mistyped, expired): a token-guessing client gets this
    # many tries across all of them, then every link page answers 429 until the hour moves on.
    "bad_link": "10/h/ip",
}
# Hub staff see everyone's personal data, so a staff session left open on a shared computer
# must not stay usable: it ends after this long unused, and this long after signing in however
# busy (a working day). Teachers keep Django's normal two weeks. npq_portal/middleware.py.
STAFF_SESSION = {
    "idle": timedelta(minutes=int(env_str("STAFF_SESSION_IDLE_MINUTES", "30"))),
    "max_age": timedelta(hours=int(env_str("STAFF_SESSION_MAX_HOURS", "10"))),
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "NPQ Portal")
# Wrong TOTP codes count as failed logins, so "login_failed" above limits code guessing too.

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# ---- Internationalisation ----
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# ---- Static files ----
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
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
# On a developer's machine whitenoise serves straight from static/ (no collectstatic needed).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "media/"

# ---- Security ----
# Behind a TLS-terminating proxy, production sets SECURE_PROXY_SSL_HEADER_NAME (e.g.
# HTTP_X_FORWARDED_PROTO) so Django knows the request arrived over HTTPS.
if env_str("SECURE_PROXY_SSL_HEADER_NAME"):
    SECURE_PROXY_SSL_HEADER = (env_str("SECURE_PROXY_SSL_HEADER_NAME"), "https")
# Rate limits count per client address. Behind proxies, REMOTE_ADDR is the proxy's, which
# would put every visitor in one bucket: production sets how many proxies append to
# X-Forwarded-For, and the address that many from its end is the client's.
ALLAUTH_TRUSTED_PROXY_COUNT = int(env_str("TRUSTED_PROXY_COUNT", "0"))
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else int(env_str("SECURE_HSTS_SECONDS", "31536000"))
# Both reach beyond this host (sibling sites, browsers' preload lists): the hub opts in.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# Load balancers probe the health check over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: forms (and the autosave) send the token from the page.
CSRF_COOKIE_HTTPONLY = True
# Lax, not Strict: a link in an email (an approval, a reminder) must open the portal signed in.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# The __Host- prefix makes browsers refuse these cookies unless they are Secure, for this host
# only and the whole site: a sibling subdomain cannot plant a session or CSRF token. (Named
# here for the benchmark too, whose server runs as production does.)
PRODUCTION_SESSION_COOKIE_NAME = "__Host-sessionid"
if not DEBUG:
    SESSION_COOKIE_NAME = PRODUCTION_SESSION_COOKIE_NAME
    CSRF_COOKIE_NAME = "__Host-csrftoken"
X_FRAME_OPTIONS = "DENY"
# The content security policy (django-csp): everything from this site only, no inline script
# or style at all, so injected markup cannot run or restyle a page. Pages needing more say why
# where they loosen it (csp_update); tests check the header (npq_portal/tests/csp.py) and that
# Chromium reports no violation in any browser test (conftest.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # data: for Bootstrap's icons inside its CSS
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Preload and subdomains are the hub's choice (above), not a deployment mistake.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# ---- Logging ----
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # A safety net: code logs ids, not personal data, but a library's message or an
    # exception's text may quote an email address; this blanks every one before it is written.
    "filters": {"redact_emails": {"()": "npq_portal.log_filters.RedactEmailAddresses"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_emails"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
