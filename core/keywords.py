"""Command keywords in English and, as aliases, in German, French and Italian (issue 14 §4).

`/log-hours week`, `/log-hours woche`, `/log-hours semaine` and `/log-hours settimana` are the same
command for everyone, whatever their language: the English keyword always works, the others are
aliases of it. Handlers compare against the English keyword after ``keyword``.
"""

from __future__ import annotations

_ALIASES: dict[str, tuple[str, ...]] = {
    "help": ("hilfe", "aide", "aiuto"),
    "week": ("woche", "semaine", "settimana"),
    "language": ("sprache", "langue", "lingua"),
    "status": ("statut", "stato"),
    "link": ("verknüpfen", "verknuepfen", "lier", "collega"),
    # Issue 17 §3-4: `/log-hours again`, `/log-hours start Website / Umsetzung`, `/log-hours stop`.
    "again": ("nochmal", "nochmals", "encore", "ancora"),
    "start": ("starten", "démarrer", "demarrer", "avvia"),
    "stop": ("stopp", "stoppen", "arrêter", "arreter", "ferma"),
}
_CANONICAL: dict[str, str] = {
    **{word: word for word in _ALIASES},
    **{alias: word for word, aliases in _ALIASES.items() for alias in aliases},
}


def keyword(word: str) -> str:
    """The English keyword a typed word stands for; any other word as typed, in lower case."""
    folded = word.strip().casefold()
    return _CANONICAL.get(folded, folded)


def aliases_of(english: str) -> tuple[str, ...]:
    """The localised aliases of an English keyword (for help texts)."""
    return _ALIASES.get(english, ())
