"""The 65 Sohncke space groups (no inversion, no mirror) that chiral molecules such as
proteins crystallise in: their symbols, numbers and Laue classes.

:func:`parse_space_group` reads what a user types: ``P212121``, ``P 21 21 21``,
``p2(1)2(1)2(1)``, the full monoclinic symbols ``P 1 21 1`` / ``C 1 2 1`` (as PDB
files write them), the hexagonal settings ``H3`` / ``H32`` of ``R3`` / ``R32``, or the
International Tables number (``19``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class SpaceGroup:
    """One Sohncke space group: its short symbol, number and Laue class."""

    symbol: str
    number: int
    laue: str

    @property
    def system(self) -> str:
        """The crystal system (triclinic, monoclinic... cubic)."""
        return LAUE_SYSTEMS[self.laue]


#: Laue class -> crystal system
LAUE_SYSTEMS = {
    "-1": "triclinic",
    "2/m": "monoclinic",
    "mmm": "orthorhombic",
    "4/m": "tetragonal",
    "4/mmm": "tetragonal",
    "-3": "trigonal",
    "-3m": "trigonal",
    "6/m": "hexagonal",
    "6/mmm": "hexagonal",
    "m-3": "cubic",
    "m-3m": "cubic",
}

_TABLE = """
-1: P1 1
2/m: P2 3, P21 4, C2 5
mmm: P222 16, P2221 17, P21212 18, P212121 19, C2221 20, C222 21, F222 22, I222 23,
     I212121 24
4/m: P4 75, P41 76, P42 77, P43 78, I4 79, I41 80
4/mmm: P422 89, P4212 90, P4122 91, P41212 92, P4222 93, P42212 94, P4322 95, P43212 96,
       I422 97, I4122 98
-3: P3 143, P31 144, P32 145, R3 146
-3m: P312 149, P321 150, P3112 151, P3121 152, P3212 153, P3221 154, R32 155
6/m: P6 168, P61 169, P65 170, P62 171, P64 172, P63 173
6/mmm: P622 177, P6122 178, P6522 179, P6222 180, P6422 181, P6322 182
m-3: P23 195, F23 196, I23 197, P213 198, I213 199
m-3m: P432 207, P4232 208, F432 209, F4132 210, I432 211, P4332 212, P4132 213, I4132 214
"""


def _table() -> tuple[SpaceGroup, ...]:
    groups = []
    laue = ""
    for line in _TABLE.strip().splitlines():
        if ":" in line:
            laue, line = line.split(":", 1)
        for item in line.split(","):
            if item.strip():
                symbol, number = item.split()
                groups.append(SpaceGroup(symbol, int(number), laue.strip()))
    return tuple(groups)


SOHNCKE: tuple[SpaceGroup, ...] = _table()
_BY_SYMBOL = {g.symbol.upper(): g for g in SOHNCKE}
_BY_NUMBER = {g.number: g for g in SOHNCKE}
#: other spellings users and PDB files use
_ALIASES = {"P121": "P2", "P1211": "P21", "C121": "C2", "H3": "R3", "H32": "R32"}

#: what the message of a refused symbol shows as the allowed form
ALLOWED_FORM = (
    "a Sohncke space group symbol such as P1, C2, P21, P212121 (or P 21 21 21), P43212, "
    "P6122, R32, I4132, or its number (e.g. 19); empty when unknown"
)


class UnknownSpaceGroup(ValueError):
    """The text is no Sohncke space group; the message says what is allowed."""


def parse_space_group(text: str) -> SpaceGroup | None:
    """The Sohncke space group ``text`` names (see the module docstring); ``None`` for
    an empty text (unknown). ``UnknownSpaceGroup`` otherwise, with the allowed form."""
    compact = re.sub(r"[\s_]+", "", text).upper()
    if not compact:
        return None
    compact = re.sub(r"(\d)\((\d)\)", r"\1\2", compact)  # P2(1) -> P21
    if compact.isdigit():
        group = _BY_NUMBER.get(int(compact))
        if group is None:
            raise UnknownSpaceGroup(
                f"{text!r}: space group {int(compact)} is not one proteins crystallise in "
                f"(not a Sohncke group); expected {ALLOWED_FORM}"
            )
        return group
    group = _BY_SYMBOL.get(_ALIASES.get(compact, compact))
    if group is None:
        raise UnknownSpaceGroup(f"{text!r} is not a known space group; expected {ALLOWED_FORM}")
    return group
