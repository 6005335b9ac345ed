from django.http import HttpResponse


def setup(request):
    return HttpResponse("setup")
