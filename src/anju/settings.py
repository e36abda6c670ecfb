"""Django settings for anju; every deployment knob is an ANJU_* environment variable."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from anju.conf import data_dir, read_or_create_key

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


SECRET_KEY = os.environ.get("ANJU_SECRET_KEY") or read_or_create_key(DATA_DIR, "secret_key", 50)
# Key for the audit chain's HMAC, kept apart from the database so a database writer cannot re-seal.
ANJU_AUDIT_KEY = os.environ.get("ANJU_AUDIT_KEY") or read_or_create_key(DATA_DIR, "audit_hmac_key")
# Personal data at rest: AES-256-GCM for resident IDs and bank accounts, and a separate HMAC key for their
# blind index (exact lookup and de-duplication without decrypting). Losing these keys loses the data.
ANJU_PII_KEY = os.environ.get("ANJU_PII_KEY") or read_or_create_key(DATA_DIR, "pii_aes_key")
ANJU_PII_INDEX_KEY = os.environ.get("ANJU_PII_INDEX_KEY") or read_or_create_key(DATA_DIR, "pii_index_key")
DEBUG = _env_bool("ANJU_DEBUG")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ANJU_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("ANJU_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "anju.core",
    "anju.divisions",
    "anju.accounts",
    "anju.imports",
    "anju.relocation",
    "anju.registry",
    "anju.subsidies",
    "anju.projects",
    "anju.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "anju.web.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "anju.core.middleware.RequestContextMiddleware",
    "anju.core.middleware.ApplicationErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "anju.accounts.middleware.LoginSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "anju.urls"
WSGI_APPLICATION = "anju.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "anju.web.context_processors.shell",
            ],
        },
    }
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("ANJU_DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("ANJU_TEST_DATABASE_NAME", "test_anju")
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "anju.sqlite3",
            "OPTIONS": {
                # WAL lets readers run beside the one writer; IMMEDIATE avoids lock-upgrade deadlocks.
                "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                                 # 64 MiB page cache (the default 2 MiB thrashes on a million-row index) and 256 MiB of mmap
                                 "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; PRAGMA temp_store=MEMORY;"),
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    # File-based so that the web process sees progress written by the job worker process.
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
    }
}

# --- accounts and login security (POLICY.md §4; the live values are SecurityPolicy rows) ------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "anju.accounts.passwords.PolicyLengthValidator"},
    {"NAME": "anju.accounts.passwords.CharacterClassValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
ANJU_PASSWORD_MAX_AGE_DAYS = _env_int("ANJU_PASSWORD_MAX_AGE_DAYS", 90)
ANJU_LOCKOUT_FAILURES = _env_int("ANJU_LOCKOUT_FAILURES", 5)
ANJU_LOCKOUT_MINUTES = _env_int("ANJU_LOCKOUT_MINUTES", 30)
ANJU_IDLE_TIMEOUT_SECONDS = _env_int("ANJU_IDLE_TIMEOUT_SECONDS", 600)
ANJU_AUDIT_RETENTION_DAYS = _env_int("ANJU_AUDIT_RETENTION_DAYS", 184)

AXES_FAILURE_LIMIT = "anju.accounts.lockout.failure_limit"
AXES_COOLOFF_TIME = "anju.accounts.lockout.cooloff_time"
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "anju.accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "anju.core.context.client_ip"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

OTP_TOTP_ISSUER = "anju 安居"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("ANJU_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 12 * 3600  # absolute cap; the idle timeout is enforced by LoginSecurityMiddleware
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- language and time --------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("ANJU_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("ANJU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- files ----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "uploads"
ANJU_GENERATED_DIR = DATA_DIR / "generated"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# --- background jobs --------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ANJU_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50

# Lockout is per account (等保: "登录失败处理"); many offices share one NAT address, so locking by IP
# would lock out a whole township. Password guessing across accounts is audited instead.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
