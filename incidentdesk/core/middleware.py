from django.shortcuts import redirect

_EXEMPT_PREFIXES = ("/setup", "/static/", "/api/", "/healthz", "/metrics")


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
            from incidentdesk.accounts.models import User

            if User.objects.exists():
                FirstRunMiddleware.has_users = True
            else:
                return redirect("setup")
        return self.get_response(request)
