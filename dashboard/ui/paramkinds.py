"""The kinds of value a view parameter holds: how each is read from a URL, written back, and
described in the docs. ``ui.viewparams`` declares the parameters with these kinds; nothing else
parses a query string.

A kind's ``parse`` returns the value, or raises ``Refused`` with what is accepted (the page shows
it as a notice and keeps the default; a download link refuses it). ``write`` gives the canonical
text, so ``parse(write(v)) == v``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from astropy.time import Time


class Refused(ValueError):
    """A parameter's text is not one of its accepted values; the message says what is."""


@dataclass(frozen=True)
class ParseContext:
    """What a parse may depend on beyond the text: the server's radius limit, and where a list
    parameter's dropped tokens are reported."""

    max_radius: float = 120.0
    notices: list[str] | None = None
    key: str = ""  # the URL key being read (a list parameter's notice names it)


def number(text: str, low: float, high: float) -> float | None:
    """A finite number within [low, high], else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and low <= value <= high else None


@dataclass(frozen=True)
class Text:
    """Free text, stripped and cut to ``max_len`` characters (never parsed further here)."""

    max_len: int

    def parse(self, text: str, ctx: ParseContext) -> str:
        return text.strip()[:self.max_len]

    def write(self, value: str) -> str:
        return value

    def accepted(self) -> str:
        return f"text, up to {self.max_len} characters"


@dataclass(frozen=True)
class Flag:
    """0 or 1."""

    def parse(self, text: str, ctx: ParseContext) -> bool:
        if text not in ("0", "1"):
            raise Refused("use 0 or 1")
        return text == "1"

    def write(self, value: bool) -> str:
        return "1" if value else "0"

    def accepted(self) -> str:
        return "0 or 1"


@dataclass(frozen=True)
class Choice:
    """One of a fixed list of words."""

    values: tuple[str, ...]
    why: str

    def parse(self, text: str, ctx: ParseContext) -> str:
        if text not in self.values:
            raise Refused(self.why)
        return text

    def write(self, value: str) -> str:
        return value

    def accepted(self) -> str:
        return " | ".join(f"`{v}`" for v in self.values)


@dataclass(frozen=True)
class Number:
    """A number within bounds; ``integer`` for whole numbers (written without a decimal point).
    ``high`` None: the server's radius limit (``Settings.max_radius_arcsec``)."""

    low: float
    high: float | None
    why: str
    integer: bool = False
    digits: str = "g"

    def parse(self, text: str, ctx: ParseContext) -> float | int:
        high = ctx.max_radius if self.high is None else self.high
        value = number(text, self.low, high)
        if value is None or (self.integer and value != int(value)):
            raise Refused(self.why.format(low=self.low, high=high, key=ctx.key))
        return int(value) if self.integer else value

    def write(self, value: float) -> str:
        return str(value) if self.integer else format(value, self.digits)

    def accepted(self) -> str:
        high = "the server's limit (120 by default)" if self.high is None else f"{self.high:g}"
        return f"{'an integer' if self.integer else 'a number'} from {self.low:g} to {high}"


@dataclass(frozen=True)
class Span:
    """Two numbers ``a,b`` with low ≤ a < b ≤ high (a plot range)."""

    low: float
    high: float
    why: str
    digits: str

    def parse(self, text: str, ctx: ParseContext) -> tuple[float, float]:
        parts = [number(p, self.low, self.high) for p in text.split(",")]
        if len(parts) != 2 or parts[0] is None or parts[1] is None or not parts[0] < parts[1]:
            raise Refused(self.why)
        return (parts[0], parts[1])

    def write(self, value: tuple[float, float]) -> str:
        return ",".join(format(v, self.digits) for v in value)

    def accepted(self) -> str:
        return f"`a,b`, {self.low:g} ≤ a < b ≤ {self.high:g}"


@dataclass(frozen=True)
class Tokens:
    """A list of known tokens; unknown ones are dropped with a notice and the rest kept, in
    ``allowed``'s order. ``letters``: the tokens are single letters written together (``ph=AB``)."""

    allowed: tuple[str, ...]
    letters: bool = False

    def parse(self, text: str, ctx: ParseContext) -> tuple[str, ...] | str:
        tokens = list(text.replace(",", "")) if self.letters else text.split(",")
        kept = list_parameter(ctx.key, tokens, self.allowed, ctx.notices if ctx.notices is not None else [])
        if kept is None:
            raise Unchanged
        return "".join(kept) if self.letters else kept

    def write(self, value: tuple[str, ...] | str) -> str:
        return "".join(value) if self.letters else ",".join(value)

    def accepted(self) -> str:
        return ("any of the letters " if self.letters else "comma-separated, any of ") + \
            ", ".join(f"`{a}`" for a in self.allowed)


class Unchanged(Exception):
    """A list parameter whose tokens were all unknown: the default stays (the notice is given)."""


def list_parameter(key: str, tokens: list[str], allowed: tuple[str, ...], notices: list[str]) -> tuple[str, ...] | None:
    """A list parameter (``cuts``, ``ph``): tokens compared without case, unknown ones dropped
    with a notice and the rest kept, in ``allowed``'s order. None (keep the default) when tokens
    were given and none is known; an empty list (``cuts=``) means none, as the page writes it."""
    given = [t.strip() for t in tokens if t.strip()]
    by_key = {a.lower(): a for a in allowed}
    known = {by_key[t.lower()] for t in given if t.lower() in by_key}
    unknown = [t for t in given if t.lower() not in by_key]
    if unknown:
        kept = "; the defaults apply" if not known else f"; kept {', '.join(a for a in allowed if a in known)}"
        notices.append(f"Ignored unknown {key} value(s) {', '.join(unknown)[:60]}{kept}. "
                       f"Known: {', '.join(allowed)}.")
    if given and not known:
        return None
    return tuple(a for a in allowed if a in known)


@dataclass(frozen=True)
class Custom:
    """A kind with its own reader (a fold period: ``best`` or days)."""

    reader: Callable[[str], Any]
    writer: Callable[[Any], str]
    why: str
    text: str

    def parse(self, text: str, ctx: ParseContext) -> Any:
        value = self.reader(text)
        if value is None:
            raise Refused(self.why)
        return value

    def write(self, value: Any) -> str:
        return self.writer(value)

    def accepted(self) -> str:
        return self.text


def mjd_of(text: str, low: float, high: float) -> float | None:
    """An epoch as MJD: a number, or an ISO date (``2019-04-09`` or ``2019-04-09T12:00``) read as
    UTC; None outside [low, high] or unreadable."""
    text = text.strip()
    value = number(text, low, high)
    if value is not None or not text or text[0] not in "0123456789":
        return value
    try:
        moment = datetime.fromisoformat(text.removesuffix("Z"))
    except ValueError:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    mjd = float(Time(moment.replace(tzinfo=None), scale="utc").mjd)
    return round(mjd, 5) if low <= mjd <= high else None
