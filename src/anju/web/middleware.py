"""Language choice: the configured default (zh-hans) unless the user picked another in the top bar.

Django's LocaleMiddleware would follow the browser's Accept-Language; on shared government PCs that is
often an English-language browser, so anju only honours an explicit choice (the language cookie).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import check_for_language


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen and check_for_language(chosen) and chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
