"""What a table looks like: the fields of a template, their standard Chinese headers and the variants users write.

A `TableSpec` names a template ("registry.reservoir") and its `FieldSpec`s. Apps register their specs at import
time with `register_spec`; the header-alias service only accepts templates and fields registered here.

Header texts are compared after `normalise_header`: NFKC (full-width letters, digits and punctuation become
half-width), all whitespace removed (“姓 名” → “姓名”), leading/trailing `*` and trailing colons stripped, and
round brackets folded to the full-width Chinese form (（ ）). `header_keys` additionally yields the text with
parenthesised notes removed (“身份证号（必填）” → “身份证号”), so both forms map.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_WHITESPACE = re.compile(r"\s+")
_PAREN_NOTE = re.compile(r"（[^（）]*）")
_EDGE_JUNK = "*:"


@dataclass(frozen=True)
class FieldSpec:
    """One column of a template."""

    name: str  # internal key, e.g. "id_number"
    label: str  # standard template header in Chinese, e.g. "身份证号"
    aliases: tuple[str, ...] = ()  # official and common variants, e.g. ("身份证号码", "公民身份号码")
    required: bool = False  # the COLUMN must exist (whether a cell may be empty is the caller's rule)
    text: bool = False  # a digit string that must stay text (ID, bank account): templates format the column as text


@dataclass(frozen=True)
class TableSpec:
    """A template: its key (HeaderAlias.template), a Chinese title and its fields in template order."""

    template: str
    title: str
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


_REGISTRY: dict[str, TableSpec] = {}


def register_spec(spec: TableSpec) -> TableSpec:
    """Make a template known (to the header-alias service and pages). Registering the same key again replaces it."""
    _REGISTRY[spec.template] = spec
    return spec


def known_specs() -> dict[str, TableSpec]:
    """Registered templates by key, in registration order."""
    return dict(_REGISTRY)


def get_spec(template: str) -> TableSpec | None:
    return _REGISTRY.get(template)


def normalise_header(text) -> str:
    """Canonical form of a header text (see the module docstring)."""
    if text is None:
        return ""
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    s = unicodedata.normalize("NFKC", str(text))
    s = _WHITESPACE.sub("", s)
    s = s.replace("(", "（").replace(")", "）")
    return s.strip(_EDGE_JUNK)


def strip_notes(normalised: str) -> str:
    """A normalised header without parenthesised notes: “身份证号（必填）” → “身份证号”."""
    if "（" not in normalised:
        return normalised
    return _PAREN_NOTE.sub("", normalised).strip(_EDGE_JUNK)


def header_keys(text) -> tuple[str, ...]:
    """The lookup keys of a header text: its normalised form, then that form without parenthesised notes."""
    full = normalise_header(text)
    bare = strip_notes(full)
    return (full, bare) if bare and bare != full else ((full,) if full else ())


def builtin_lookup(spec: TableSpec) -> dict[str, str]:
    """Normalised header → field name from the spec's labels and built-in aliases (labels win over aliases).

    A key that two fields would claim (after removing notes) is dropped, so it never maps ambiguously.
    """
    exact: dict[str, str] = {}
    bare: dict[str, str | None] = {}
    for pass_labels in (True, False):
        for f in spec.fields:
            texts = (f.label,) if pass_labels else f.aliases
            for t in texts:
                keys = header_keys(t)
                if not keys:
                    continue
                exact.setdefault(keys[0], f.name)
                for k in keys[1:]:
                    if bare.get(k, f.name) != f.name:
                        bare[k] = None
                    else:
                        bare[k] = f.name
    lookup = {k: v for k, v in bare.items() if v is not None}
    lookup.update(exact)
    return lookup
