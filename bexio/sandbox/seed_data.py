"""The fresh-account records shipped in `bexio/sandbox/data/`.

They are the defaults a new Swiss bexio account answers with, taken from the recorded
responses in `shared/bexio-recorded/` (© codebar Solutions AG, MIT licence: taxes, chart of
accounts, languages, payment types, document settings, currencies, bank account, company
profile, business activities) — personal data replaced — plus the KMU accounts bxhours needs
(3400 Dienstleistungserlöse, …) that the recording did not list.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from bexio.sandbox.json_cache import Record


@cache
def _load(name: str) -> Any:
    text = resources.files("bexio.sandbox").joinpath("data", f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


def records(name: str) -> list[Record]:
    """A fresh copy of a data file's records (callers mutate them)."""
    loaded = _load(name)
    if not isinstance(loaded, list):
        raise TypeError(f"data/{name}.json must hold a list")
    return copy.deepcopy(loaded)


def openid_configuration() -> dict[str, Any]:
    """bexio's recorded OpenID discovery document (auth.bexio.com URLs)."""
    document = _load("openid_configuration")
    if not isinstance(document, dict):
        raise TypeError("data/openid_configuration.json must hold an object")
    return copy.deepcopy(document)


def currency_codes() -> list[str]:
    codes = _load("currency_codes")
    return list(codes)
