"""Request size limit and CORS for the API (read endpoints only: GET, HEAD, OPTIONS); in demo
mode every answer says its figures are demonstration data (ops.demo.HEADER)."""

from django.conf import settings
from django.http import HttpResponse

from citesmart.api.http import CORS_HEADERS, error_response
from citesmart.ops import demo

PREFIX = "/api/"
DOCUMENTATION = ("/api/v1/openapi.json", "/api/v1/docs/")


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        too_big = self._too_big(request)
        if too_big is not None:
            return too_big
        if request.method == "OPTIONS":  # CORS preflight: reads only (see Allow-Methods)
            response = HttpResponse(status=204)
        elif request.method == "HEAD":  # the GET answer's headers, without its body
            request.method = "GET"
            response = self._in_error_body(self.get_response(request))
            request.method = "HEAD"
            if not response.streaming:
                length = len(response.content)
                response.content = b""
                response["Content-Length"] = str(length)
        else:
            response = self._in_error_body(self.get_response(request))
        if request.method in ("GET", "HEAD", "OPTIONS"):
            for name, value in CORS_HEADERS.items():
                response[name] = value
        # The OpenAPI document and Swagger page carry no figures and never touch the database.
        if not request.path.startswith(DOCUMENTATION) and demo.is_demo():
            response[demo.HEADER] = demo.HEADER_VALUE
        return response

    @staticmethod
    def _in_error_body(response):
        """Django's and ninja's own 404/405 pages become the API's JSON error body."""
        is_json = response.get("Content-Type", "").startswith("application/json")
        if response.status_code == 404 and not is_json:
            return error_response(404, "no_encontrado", "No existe esa dirección en la API.")
        if response.status_code == 405 and not is_json:
            allowed = response.get("Allow", "")
            answer = error_response(
                405, "metodo_no_permitido", f"Método no permitido; use {allowed or 'GET'}."
            )
            if allowed:
                answer["Allow"] = allowed
            return answer
        return response

    @staticmethod
    def _too_big(request):
        limit = settings.API_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(400, "cabecera_invalida", "Content-Length inválido.")
        if length > limit:
            return error_response(
                413,
                "solicitud_demasiado_grande",
                f"El cuerpo de la solicitud supera el máximo de {limit // 1024} KB: envíe "
                "informes más pequeños o uno por solicitud.",
            )
        return None
