"""What a locked-out login sees (django-axes calls lockout_response; settings AXES_LOCKOUT_CALLABLE).

A browser gets the login page's look with "too many attempts, try again in N minutes" and status 429;
a script asking with X-Requested-With: XMLHttpRequest gets the same as JSON.
"""
from __future__ import annotations

import math

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

TOO_MANY_REQUESTS = 429


def lockout_minutes(request: HttpRequest | None = None) -> int:
    """The wait, in whole minutes (rounded up): the full cool-off, since each refused try restarts it."""
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 1


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    minutes = lockout_minutes(request)
    message = f"Too many failed login attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return JsonResponse({"detail": message, "retry_after_minutes": minutes}, status=TOO_MANY_REQUESTS)
    response = render(request, "registration/locked_out.html", {"message": message, "minutes": minutes},
                      status=TOO_MANY_REQUESTS)
    response["Retry-After"] = str(minutes * 60)
    return response
