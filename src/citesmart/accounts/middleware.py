from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from citesmart.accounts.access import needs_two_factor


class RequireTwoFactorMiddleware:
    """ITP staff (administrators and analysts) pass a TOTP check before the back office."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_verify(request):
            return redirect(f"{reverse('accounts:two_factor')}?next={request.get_full_path()}")
        return self.get_response(request)

    @staticmethod
    def _must_verify(request) -> bool:
        if not settings.OTP_REQUIRED_FOR_NATIONAL_STAFF:
            return False
        if not request.path.startswith(reverse("admin:index")):
            return False
        if request.path in {reverse("admin:login"), reverse("admin:logout")}:
            return False
        user = request.user
        return needs_two_factor(user) and not user.is_verified()
