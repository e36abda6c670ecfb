"""The English catalog is complete, compiled, up to date with the sources, and actually switches the UI."""

from __future__ import annotations

import gettext
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import translation

import anju

PACKAGE_DIR = Path(anju.__file__).resolve().parent
LC_MESSAGES = PACKAGE_DIR / "locale" / "en" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

# ---------------------------------------------------------------------------------------------------------------------
# A minimal .po reader (no polib dependency): enough for the files `makemessages` writes.
# ---------------------------------------------------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), f"bad .po string: {text!r}"
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def translations(self) -> list[str]:
        return [self.msgstr_plural[i] for i in sorted(self.msgstr_plural)] if self.msgid_plural else [self.msgstr]


def parse_po(path: Path) -> tuple[Entry, list[Entry]]:
    """Return (header entry, message entries); obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None
    pending_flags: set[str] = set()

    def start(lineno: int) -> Entry:
        nonlocal current, pending_flags
        if current is not None:
            entries.append(current)
        current = Entry(flags=pending_flags, line=lineno)
        pending_flags = set()
        return current

    def append(text: str) -> None:
        name, index = target
        if index is None:
            setattr(current, name, (getattr(current, name) or "") + text)
        else:
            current.msgstr_plural[index] = current.msgstr_plural.get(index, "") + text

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            pending_flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            append(_unquote(line))
        elif keyword == "msgctxt":
            start(lineno).msgctxt = ""
            target = ("msgctxt", None)
            append(_unquote(rest))
        elif keyword == "msgid":
            if current is None or target != ("msgctxt", None):
                start(lineno)
            target = ("msgid", None)
            append(_unquote(rest))
        elif keyword == "msgid_plural":
            current.msgid_plural = ""
            target = ("msgid_plural", None)
            append(_unquote(rest))
        elif keyword == "msgstr":
            target = ("msgstr", None)
            append(_unquote(rest))
        elif m := re.fullmatch(r"msgstr\[(\d+)\]", keyword):
            target = ("msgstr_plural", int(m.group(1)))
            append(_unquote(rest))
        else:
            raise AssertionError(f"{path}:{lineno}: unexpected line {raw!r}")
    if current is not None:
        entries.append(current)
    assert entries and entries[0].msgid == "", "the .po file has no header entry"
    return entries[0], entries[1:]


@pytest.fixture(scope="module")
def po():
    if not PO_FILE.is_file():
        pytest.fail(f"{PO_FILE} is missing: run `make messages`")
    return parse_po(PO_FILE)


def where(entry: Entry) -> str:
    return f"{PO_FILE.name}:{entry.line} {entry.msgid!r}"


# ---------------------------------------------------------------------------------------------------------------------
# (a) the catalog is complete
# ---------------------------------------------------------------------------------------------------------------------


def test_catalog_has_the_anju_strings(po):
    _, entries = po
    msgids = {e.msgid for e in entries}
    assert len(entries) > 200
    assert {"登录", "县级经办", "对象不存在或不在您的管辖范围内", "区划树"} <= msgids


def test_header_is_not_fuzzy_and_declares_english(po):
    header, _ = po
    assert "fuzzy" not in header.flags
    assert "Language: en\n" in header.msgstr
    assert "charset=UTF-8" in header.msgstr
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr


def test_every_entry_is_translated_and_not_fuzzy(po):
    _, entries = po
    fuzzy = [where(e) for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    empty = [where(e) for e in entries if not all(t.strip() for t in e.translations)]
    assert not empty, f"untranslated entries: {empty}"
    plural = [where(e) for e in entries if e.msgid_plural and sorted(e.msgstr_plural) != [0, 1]]
    assert not plural, f"plural entries without msgstr[0] and msgstr[1]: {plural}"


_PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc%]|\{\w*\}")


def test_translations_keep_placeholders(po):
    _, entries = po
    wrong = []
    for e in entries:
        expected = sorted(_PLACEHOLDER.findall(e.msgid))
        for text in e.translations:
            if sorted(_PLACEHOLDER.findall(text)) != expected:
                wrong.append(f"{where(e)} -> {text!r}")
    assert not wrong, f"placeholders differ: {wrong}"


def test_translations_are_english(po):
    _, entries = po
    han = re.compile(r"[\u3400-\u9fff\uff08\uff09\uff0c\uff1a\uff1b\u3001\u3002]")
    leftover = [f"{where(e)} -> {t!r}" for e in entries for t in e.translations if han.search(t)]
    assert not leftover, f"Chinese left in translations: {leftover}"


# ---------------------------------------------------------------------------------------------------------------------
# (b) the compiled .mo matches the .po
# ---------------------------------------------------------------------------------------------------------------------


def test_mo_is_compiled_from_the_current_po(po):
    if not MO_FILE.is_file():
        pytest.fail(f"{MO_FILE} is missing: run `anju manage compilemessages -l en`")
    _, entries = po
    with MO_FILE.open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    assert mo.info().get("language") == "en"

    stale = []
    for e in entries:
        if e.msgid_plural:
            for n, index in ((1, 0), (2, 1)):
                got = (mo.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n) if e.msgctxt is not None
                       else mo.ngettext(e.msgid, e.msgid_plural, n))
                if got != e.msgstr_plural[index]:
                    stale.append(f"{where(e)}[{index}]: .mo has {got!r}")
        else:
            got = mo.pgettext(e.msgctxt, e.msgid) if e.msgctxt is not None else mo.gettext(e.msgid)
            if got != e.msgstr:
                stale.append(f"{where(e)}: .mo has {got!r}")
    assert not stale, f"django.mo is out of date, run compilemessages: {stale}"

    # and the .mo has nothing the .po no longer has
    mo_ids = {key if isinstance(key, str) else key[0] for key in mo._catalog} - {""}
    po_ids = {e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}" for e in entries}
    assert mo_ids == po_ids


def test_po_is_up_to_date_with_the_sources(po, tmp_path, monkeypatch):
    """Re-run makemessages on a copy of the package: it must find no string the catalog lacks."""
    if not (shutil.which("xgettext") and shutil.which("msgmerge") and shutil.which("msguniq")):
        pytest.skip("GNU gettext (xgettext, msgmerge, msguniq) is not installed")
    copy = tmp_path / "anju"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"))
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command("makemessages", locale=["en"], no_obsolete=True, no_wrap=True,
                     ignore_patterns=["migrations/*"], verbosity=0)
    _, fresh = parse_po(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")
    _, current = po
    missing = sorted({e.key for e in fresh} - {e.key for e in current}, key=str)
    obsolete = sorted({e.key for e in current} - {e.key for e in fresh}, key=str)
    assert not missing, f"strings not yet in the en catalog (run makemessages and translate): {missing}"
    assert not obsolete, f"catalog entries no longer in the sources (run makemessages --no-obsolete): {obsolete}"


# ---------------------------------------------------------------------------------------------------------------------
# (c) gettext switches to English
# ---------------------------------------------------------------------------------------------------------------------


def test_known_strings_translate_to_english():
    from anju.accounts.roles import ROLES
    from anju.core.exceptions import NotFound
    from anju.divisions.models import Level

    with translation.override("en"):
        assert str(NotFound.default_message) == "The object does not exist or is outside your jurisdiction"
        assert str(NotFound().message) == "The object does not exist or is outside your jurisdiction"
        assert str(ROLES["county_clerk"].name) == "County clerk"
        assert str(ROLES["city_admin"].name) == "City administrator"
        assert str(ROLES["leader"].name) == "Leader (read-only)"
        assert str(Level.TOWNSHIP.label) == "Township"
        assert translation.gettext("审计日志") == "Audit log"
        assert translation.ngettext("共 %(counter)s 条", "共 %(counter)s 条", 1) % {"counter": 1} == "1 record"
        assert translation.ngettext("共 %(counter)s 条", "共 %(counter)s 条", 3) % {"counter": 3} == "3 records"
    with translation.override("zh-hans"):
        assert str(ROLES["county_clerk"].name) == "县级经办"
        assert str(NotFound.default_message) == "对象不存在或不在您的管辖范围内"


def test_every_role_name_has_an_english_translation():
    from anju.accounts.roles import ROLES

    with translation.override("en"):
        untranslated = {code: str(role.name) for code, role in ROLES.items()
                        if re.search(r"[\u4e00-\u9fff]", str(role.name))}
    assert not untranslated


# ---------------------------------------------------------------------------------------------------------------------
# (d) the web UI switches language
# ---------------------------------------------------------------------------------------------------------------------


def _login_page(client: Client, **headers) -> str:
    response = client.get("/login/", **headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_login_page_defaults_to_chinese():
    body = _login_page(Client())
    assert '<html lang="zh-hans">' in body
    assert "登录" in body
    assert "Log in" not in body


@pytest.mark.django_db
def test_login_page_ignores_browser_accept_language():
    """Shared PCs often run English browsers: only an explicit choice (the cookie) switches language."""
    body = _login_page(Client(), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in body
    assert "登录" in body


@pytest.mark.django_db
def test_login_page_follows_language_cookie():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = _login_page(client, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert '<html lang="en">' in body
    assert "Log in" in body
    assert "Password" in body
    assert "登录" not in body


@pytest.mark.django_db
def test_setlang_switches_to_english_and_back():
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert response.url == "/login/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    body = _login_page(client)
    assert '<html lang="en">' in body
    assert "Log in" in body

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/login/"})
    body = _login_page(client)
    assert "登录" in body
    assert "Log in" not in body


def test_home_renders_in_english_for_signed_in_user(make_user, login):
    client = login(make_user("county_clerk", "429921"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Division tree" in body
    assert "Log out" in body
    assert "区划树" not in body
