"""Creating, revoking and checking API tokens (the write API's only credential).

The secret is `secrets.token_urlsafe`; the database keeps its SHA-256 only, so a leaked
database does not leak usable tokens. A high-entropy random secret needs no slow hash.
"""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from citesmart.accounts.access import accessible_centers
from citesmart.api.models import ApiToken
from citesmart.network.models import Center

PREFIX = "cs_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_token(*, center: Center, name: str, actor) -> tuple[ApiToken, str]:
    """A new token for `center`; returns (token, secret). The secret is never stored."""
    if not accessible_centers(actor).filter(pk=center.pk).exists():
        raise ValidationError(
            {"center": "No puede crear tokens para un centro fuera de su alcance."}
        )
    if not name.strip():
        raise ValidationError({"name": "Indique para qué sistema es el token."})
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        center=center,
        name=name.strip(),
        prefix=raw[: len(PREFIX) + 6],
        token_hash=hash_token(raw),
        created_by=actor,
    )
    return token, raw


def revoke_token(token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def authenticate(raw: str) -> ApiToken | None:
    """The active token with this secret (recording its use), or None."""
    if not raw or not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("center", "created_by")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.created_by.is_active:
        return None
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
    return token
