"""Login lock-out: django-axes' database handler plus a rule against sprays across accounts.

axes locks an (account, client address) pair out after AXES_FAILURE_LIMIT failures. A spray
guesses a few passwords on each of many accounts, never reaching that limit on one: so a
client address is also locked out of every account once its failures across accounts reach
AXES_ADDRESS_FAILURE_LIMIT within the cool-off time (higher, so that staff of one office
behind one address are not locked out by each other's typos).

The address rule is not one of AXES_LOCKOUT_PARAMETERS on purpose: axes would then erase
every failure of the address at the next successful login, so an attacker holding one valid
account could reset the count at will. Here a successful login resets only its own account's
failures (AXES_RESET_ON_SUCCESS), and the address's others keep counting until they expire.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        """axes' count for the account and address, raised to the limit while the address
        as a whole is over its own limit (so axes locks it out of every account)."""
        failures = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if failures < limit and address_failures(request) >= address_failure_limit():
            return limit
        return failures


def address_failures(request) -> int:
    """Failed logins from this request's client address, across accounts, in the cool-off."""
    attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def address_failure_limit() -> int:
    return int(getattr(settings, "AXES_ADDRESS_FAILURE_LIMIT", 20))
