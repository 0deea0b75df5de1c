"""Locales: the supported set, the default, ``Accept-Language`` negotiation and fallback."""

from __future__ import annotations

SUPPORTED_LOCALES: tuple[str, ...] = ("en", "uk")
DEFAULT_LOCALE = "en"


def negotiate(accept_language: str | None, supported: tuple[str, ...] = SUPPORTED_LOCALES) -> str:
    """Pick the best supported locale from an ``Accept-Language`` header (q-values honoured)."""
    if not accept_language:
        return DEFAULT_LOCALE
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for param in pieces[1:]:
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag))
    for _, _, tag in sorted(ranked):
        primary = tag.split("-")[0]
        if primary in supported:
            return primary
    return DEFAULT_LOCALE


def localise(values: dict[str, str] | None, locale: str, default: str = DEFAULT_LOCALE) -> str | None:
    """The value in ``locale``, falling back to the default locale, then to any value."""
    if not values:
        return None
    if values.get(locale):
        return values[locale]
    if values.get(default):
        return values[default]
    return next(iter(values.values()), None)
