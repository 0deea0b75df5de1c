# ruff: noqa: RUF001, RUF002, RUF003  (Cyrillic letters are this module's subject)
"""Engine-independent text rules shared by every search engine adapter.

The embedded engine applies them at index and query time; the OpenSearch query builder uses them on the
query side (its index-side analyzers do folding and transliteration in the engine), so both engines agree on:

- ``fold``: lower case, compatibility forms, Latin diacritics removed, and the Ukrainian/Russian letters people
  routinely type interchangeably merged (ґ->г, ї->і, ё->е); apostrophes inside words dropped (``м'ясо``).
- ``to_latin`` / ``to_cyrillic``: transliteration both ways (Ukrainian national romanisation, with the Russian
  letters added, and its reverse with the usual digraphs), so "noutbuk" and "ноутбук" meet.
- ``sound_key``: a coarse Latin key for cross-script matching of loanwords and brands ("айфон" ~ "iPhone"): it
  transliterates, then merges spellings that sound alike (ph/f, c/k, w/v, y/j/i, double letters, a silent final e).
- ``swap_layout``: the text as if typed on the other keyboard layout (ЙЦУКЕН <-> QWERTY), e.g. "yjen,er" -> "ноутбук".
- ``auto_fuzziness``: OpenSearch ``fuzziness: AUTO`` (0 edits for 1-2 characters, 1 for 3-5, 2 for 6+).
- ``stem_uk``: a light Ukrainian suffix stripper (inflection endings only, never below a 3-letter stem). It is not
  a morphological analyser: it merges the common case and number forms of nouns and adjectives
  ("ноутбуки", "ноутбуків" -> "ноутбук") and leaves everything else alone.
- ``edit_distance``: Damerau-Levenshtein (optimal string alignment), the metric the engines' fuzzy queries use.
"""

from __future__ import annotations

import re
import unicodedata

MAX_QUERY_TERMS = 12
MAX_TERM_CHARS = 40

_WORD = re.compile(r"\w+", re.UNICODE)
_APOSTROPHES = re.compile(r"(?<=\w)['’ʼ`](?=\w)")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]")

_FOLD_CYRILLIC = str.maketrans({"ґ": "г", "ї": "і", "ё": "е"})

# Ukrainian national romanisation (2010) plus the Russian-only letters; г -> g rather than h because the
# Cyrillic spellings users type for Latin brands use г for g ("самсунг").
_CYR_TO_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh", "з": "z",
    "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "ъ": "", "ы": "y", "э": "e", "ё": "e",
}  # fmt: skip
_LAT_TO_CYR_MULTI = (
    ("shch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"), ("yu", "ю"), ("iu", "ю"),
    ("ya", "я"), ("ia", "я"), ("ye", "є"), ("ie", "є"), ("yi", "ї"), ("ph", "ф"),
)  # fmt: skip
_LAT_TO_CYR_SINGLE = {
    "a": "а", "b": "б", "c": "к", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "і", "j": "й",
    "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к", "r": "р", "s": "с", "t": "т",
    "u": "у", "v": "в", "w": "в", "x": "кс", "y": "и", "z": "з",
}  # fmt: skip

_EN_KEYS = "qwertyuiop[]asdfghjkl;'zxcvbnm,./`"
_UK_KEYS = "йцукенгшщзхїфівапролджєячсмитьбю.'"
_EN_TO_UK = str.maketrans(_EN_KEYS, _UK_KEYS)
_UK_TO_EN = str.maketrans(_UK_KEYS[:-2] + "ыэъё", _EN_KEYS[:-2] + "s']`")

_SOUND_RULES = (
    ("shch", "sh"), ("sch", "sh"), ("tch", "ch"), ("ph", "f"), ("kh", "h"), ("ck", "k"), ("qu", "kv"),
    ("q", "k"), ("x", "ks"), ("w", "v"), ("oo", "u"), ("ee", "i"), ("y", "i"), ("j", "i"),
)  # fmt: skip
_SOFT_C = re.compile(r"c(?=[eiy])")
_HARD_C = re.compile(r"c(?!h)")
_DOUBLES = re.compile(r"(.)\1+")

_UK_SUFFIXES = tuple(
    sorted(
        (
            "ами", "ями", "ові", "еві", "єві", "ого", "ому", "ими", "ій", "ий", "их", "ім", "ої", "ою", "ею",
            "єю", "ів", "їв", "ам", "ям", "ах", "ях", "ом", "ем", "ов", "ей", "ий", "а", "я", "и", "і", "у",
            "ю", "о", "е", "є", "ь",
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip

STOPWORDS = {
    "en": frozenset(
        {
            "a",
            "an",
            "and",
            "are",
            "as",
            "at",
            "be",
            "by",
            "for",
            "from",
            "in",
            "is",
            "it",
            "of",
            "on",
            "or",
            "the",
            "to",
            "with",
            "without",
        }
    ),
    "uk": frozenset(
        {
            "і",
            "й",
            "та",
            "в",
            "у",
            "на",
            "з",
            "із",
            "зі",
            "до",
            "для",
            "від",
            "по",
            "за",
            "що",
            "як",
            "це",
            "а",
            "але",
            "чи",
            "або",
            "без",
        }
    ),
}


def fold(text: str) -> str:
    """Lower case, compatibility forms, Latin diacritics removed, interchangeable Cyrillic letters merged."""
    lowered = unicodedata.normalize("NFKC", text).lower().translate(_FOLD_CYRILLIC)
    lowered = _APOSTROPHES.sub("", lowered)
    decomposed = unicodedata.normalize("NFD", lowered)
    # Combining marks are dropped only after a Latin base letter: "й" and "ї" decompose too but are letters.
    out: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and out and out[-1].isascii():
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def tokenize(text: str) -> list[str]:
    """Folded word tokens (letters and digits; punctuation and query syntax characters separate words)."""
    tokens = (token.replace("_", "")[:MAX_TERM_CHARS] for token in _WORD.findall(fold(text)))
    return [token for token in tokens if token]


def has_cyrillic(text: str) -> bool:
    return bool(_CYRILLIC.search(text))


def to_latin(text: str) -> str:
    return "".join(_CYR_TO_LAT.get(char, char) for char in text)


def to_cyrillic(text: str) -> str:
    """Latin -> Ukrainian Cyrillic, digraphs first ("noutbuk" -> "ноутбук", "shchastia" -> "щастя")."""
    out: list[str] = []
    i = 0
    while i < len(text):
        for latin, cyrillic in _LAT_TO_CYR_MULTI:
            if text.startswith(latin, i):
                out.append(cyrillic)
                i += len(latin)
                break
        else:
            out.append(_LAT_TO_CYR_SINGLE.get(text[i], text[i]))
            i += 1
    return "".join(out)


def sound_key(token: str, *, complete: bool = True) -> str:
    """A coarse Latin spelling key; ``complete=False`` for a prefix, whose final letter is not word-final."""
    key = to_latin(fold(token))
    key = _HARD_C.sub("k", _SOFT_C.sub("s", key))
    for spelling, sound in _SOUND_RULES:
        key = key.replace(spelling, sound)
    key = _DOUBLES.sub(r"\1", key)
    if key.startswith("ai") and len(key) >= 3 and key[2] not in "aeiou":
        # "айфон", "айпад": the Cyrillic spelling of an English word-initial long i.
        key = key[1:]
    if complete and len(key) > 3 and key.endswith("e") and not key[-2].isdigit():
        key = key[:-1]
    return key


def swap_layout(text: str) -> str | None:
    """The text retyped on the other layout, or None when it is not plausibly a layout mistake."""
    lowered = text.lower()
    if has_cyrillic(lowered) and not _LATIN.search(lowered):
        swapped = lowered.translate(_UK_TO_EN)
    elif _LATIN.search(lowered) and not has_cyrillic(lowered):
        swapped = lowered.translate(_EN_TO_UK)
    else:
        return None
    return swapped if swapped != lowered else None


def auto_fuzziness(term: str) -> int:
    """OpenSearch ``fuzziness: AUTO``: exact for 1-2 characters, 1 edit for 3-5, 2 edits for 6 and more."""
    if len(term) <= 2:
        return 0
    return 1 if len(term) <= 5 else 2


def stem_uk(token: str) -> str:
    """Strip one Ukrainian inflection ending from a Cyrillic word, keeping a stem of at least 3 letters."""
    if not has_cyrillic(token):
        return token
    for suffix in _UK_SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)]
    return token


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal string alignment distance (a transposition costs 1), capped at ``limit``."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) >= limit:
            return limit
        previous2, previous = previous, current
    return min(previous[-1], limit)
