"""Password rules of POLICY.md §4: minimum length from the security policy, at least 3 character classes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MSG_TOO_SHORT = gettext_lazy("密码至少需要 %(n)s 个字符")
MSG_CLASSES = gettext_lazy("密码须包含大写字母、小写字母、数字、符号中的至少三类")
MSG_SAME = gettext_lazy("新密码不能与当前密码相同")


def character_classes(password: str) -> int:
    return sum(
        [
            any(c.islower() and c.isascii() for c in password),
            any(c.isupper() and c.isascii() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )


class PolicyLengthValidator:
    def validate(self, password: str, user=None) -> None:
        from anju.accounts.models import SecurityPolicy

        n = SecurityPolicy.current().password_min_length
        if len(password) < n:
            raise ValidationError(MSG_TOO_SHORT % {"n": n}, code="password_too_short")

    def get_help_text(self) -> str:
        from anju.accounts.models import SecurityPolicy

        return str(MSG_TOO_SHORT % {"n": SecurityPolicy.current().password_min_length})


class CharacterClassValidator:
    def validate(self, password: str, user=None) -> None:
        if character_classes(password) < 3:
            raise ValidationError(MSG_CLASSES, code="password_classes")

    def get_help_text(self) -> str:
        return _("须包含大写字母、小写字母、数字、符号中的至少三类")
