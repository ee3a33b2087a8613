"""English for messages: "an X-ray centring", "1 image", "3 images".

Messages are built from names (task types, class names, counts); these two functions
keep their articles and plurals right in one place.
"""

from __future__ import annotations

import re

#: letters read as a vowel sound when spelt out ("an MX beamline", "an HDF5 file")
_VOWEL_SOUND_LETTERS = frozenset("AEFHILMNORSX")
#: words starting with a vowel letter but a consonant sound ("a user", "a uni-puck")
_CONSONANT_SOUND = re.compile(r"^(uni|use|usu|uti|ura|eu|one\b|once)", re.IGNORECASE)
#: words starting with a silent h ("an hour")
_SILENT_H = re.compile(r"^(hour|honest|honour|heir)", re.IGNORECASE)
#: an initialism: two capitals in a row, or a capital with a digit or a hyphen after it
_SPELT_OUT = re.compile(r"^[A-Z](?:[A-Z0-9]|-)")


def article(word: str) -> str:
    """``"a"`` or ``"an"`` for ``word`` as it is said: an AbstractMotor, an X-ray
    centring, an XrayCentring, an MX beamline, a user, a Sample."""
    if not word:
        return "a"
    if word[0] in "Xx":  # "ex": X-ray, XrayCentring, xds
        return "an"
    if _SPELT_OUT.match(word):
        return "an" if word[0] in _VOWEL_SOUND_LETTERS else "a"
    if _SILENT_H.match(word):
        return "an"
    if word[0].lower() in "aeiou" and not _CONSONANT_SOUND.match(word):
        return "an"
    return "a"


def with_article(word: str) -> str:
    """``word`` after its article: ``with_article("X-ray centring")`` is
    ``"an X-ray centring"``."""
    return f"{article(word)} {word}"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``"1 image"``, ``"2 images"``, ``"0 images"``; ``plural`` for irregular nouns
    (``counted(2, "task has run", "tasks have run")``)."""
    if count == 1:
        return f"{count:,} {noun}"
    return f"{count:,} {plural if plural is not None else noun + 's'}"
