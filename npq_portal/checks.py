"""Deployment checks: production must set what the embedded defaults stand in for."""

import os

from django.core.checks import Tags, Warning, register

REQUIRED_IN_PRODUCTION = {
    "SECRET_KEY": "a long random secret key",
    "ALLOWED_HOSTS": "the host names the portal is served on",
    "DATABASE_URL": "the PostgreSQL database (the SQLite default is for a laptop)",
    "REDIS_URL": "the Redis broker and cache (without it tasks run in the web process)",
    "EMAIL_URL": "the SMTP server (without it email is only printed to the console)",
    "SITE_URL": "the portal's https:// address (links in email point there)",
    "DEFAULT_FROM_EMAIL": "the address email is sent from",
    "HUB_CONTACT_EMAIL": "the hub's address people write to (it appears on public pages)",
}


@register(Tags.security, deploy=True)
def production_environment_check(app_configs, **kwargs) -> list[Warning]:
    """Warn about every production variable left unset (empty counts as unset)."""
    warnings = [
        Warning(
            f"{name} is not set: production needs {meaning}.",
            hint=f"Set the {name} environment variable.",
            id="npq_portal.W001",
        )
        for name, meaning in REQUIRED_IN_PRODUCTION.items()
        if not os.environ.get(name, "").strip()
    ]
    site_url = os.environ.get("SITE_URL", "").strip()
    if site_url and not site_url.startswith("https://"):
        warnings.append(
            Warning(
                f"SITE_URL is {site_url}: links in email must use https://.",
                hint="Set SITE_URL to the portal's https:// address.",
                id="npq_portal.W002",
            )
        )
    return warnings
