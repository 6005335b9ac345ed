from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.shortcuts import redirect

_EXEMPT_PREFIXES = (
    "/setup",
    "/static/",
    "/api/",
    "/healthz",
    "/metrics",
    "/chat/slack/",
    "/alerts/in/",
    "/v2/enqueue",
)


class FirstRunMiddleware:
    """Until an account exists, send every page visit to the first-run setup page.

    The check costs one query per process until the first account exists, then nothing: the
    answer is kept on the class, once for the process.
    """

    has_users = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not FirstRunMiddleware.has_users and not request.path.startswith(_EXEMPT_PREFIXES):
            if get_user_model()._default_manager.exists():
                FirstRunMiddleware.has_users = True
            else:
                return redirect("setup")
        return self.get_response(request)


class ApiJsonErrorsMiddleware:
    """An address under /api/v1/ that names no endpoint (404), or an endpoint asked with a
    method it does not take (405), answers JSON `detail` like every other API error; Django
    and ninja answer those two with HTML or plain text."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/v1/")
            and response.status_code in (404, 405)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return self._as_json(request, response)
        return response

    @staticmethod
    def _as_json(request, response):
        if response.status_code == 404:
            return JsonResponse(
                {"detail": f"there is no API endpoint at {request.path}"}, status=404
            )
        allowed = response.get("Allow", "")
        answer = JsonResponse(
            {"detail": f"{request.path} does not take {request.method}; it takes {allowed}"},
            status=405,
        )
        answer["Allow"] = allowed
        return answer
