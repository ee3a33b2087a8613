"""Per-frame scores of online processing (Dozor) in the forms real callers send.

``dozor_batch_processed(batch)`` is called by three kinds of caller, and
:func:`dozor_scores` reads each of them into ``{image number: score}``:

- mxgui's own form: structs with ``image_num`` and a score (``score``,
  ``spots_num_of``, ``spots_num`` or ``spots_int_aver``, the first one present);
- edna-mx's Dozor plugins: structs with ``index`` (the image's number), ``imageName``,
  ``dozor_score``, ``dozorSpotsNumOf``, ``dozorSpotsIntAver``, ``dozorSpotsResolution``
  and more (``dozorSpotList``...), which are ignored; ``number`` and ``dozorScore``
  (edna2's names) are read too;
- mxcubecore's online processing: arrays ``(image_num, spots_num, spots_int_aver,
  spots_resolution, score)``, or a single such array not wrapped in a list.

The batch may also be a struct of such items (its keys are ignored), or one struct item
not wrapped in a list (a struct with an image key). An item that
cannot be read is refused with its place and the key (``dozor_batch_dict[2].dozor_score:
expected a number, got 'x'``); an item whose score is a number but no finite one >= 0
(NaN, inf, negative: one bad frame) is skipped and named, the others kept. Each item's
spot count (``dozorSpotsNumOf``, ``spots_num_of`` or ``spots_num``; an array's
``spots_num``) goes with its score, where it is a whole number >= 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mxgui.core.acquisition import is_number
from mxgui.core.dialog_spec_fields import shown
from mxgui.core.xmlrpc.args import as_int, as_list
from mxgui.core.xmlrpc.dispatch import BadArgument

__all__ = [
    "BATCH_NAME",
    "IMAGE_KEYS",
    "DozorBatch",
    "MAX_BATCH",
    "SCORE_KEYS",
    "TUPLE_FIELDS",
    "dozor_scores",
]

#: the image number of a struct item: the first of these keys it has (not None)
IMAGE_KEYS = ("image_num", "index", "number")
#: the score of a struct item: the first of these keys it has (not None)
SCORE_KEYS = (
    "score",
    "dozor_score",
    "dozorScore",
    "spots_num_of",
    "spots_num",
    "dozorSpotsNumOf",
    "spots_int_aver",
    "dozorSpotsIntAver",
)
#: what the positions of mxcubecore's array item hold
TUPLE_FIELDS = ("image_num", "spots_num", "spots_int_aver", "spots_resolution", "score")
_SCORE_POSITION = TUPLE_FIELDS.index("score")
_SPOTS_POSITION = TUPLE_FIELDS.index("spots_num")
#: the spot count of a struct item: the first of these keys it has (not None)
SPOT_KEYS = ("dozorSpotsNumOf", "spots_num_of", "spots_num")
#: items one call may carry (a 1000 x 1000 mesh sends its frames in many batches).
#: In edna-mx's form the server's 64 MB request limit comes first: 100,000 minimal
#: dicts are about 96 MB, and with real ``dozorSpotList`` data edna-mx's own batches of
#: 5,000 can near 64 MB; 100,000 tuples (about 3.4 MB) take a few seconds to store.
MAX_BATCH = 100_000
#: the argument's name, as messages say it
BATCH_NAME = "dozor_batch_dict"
_NAME = BATCH_NAME


@dataclass
class DozorBatch:
    """What :func:`dozor_scores` read: ``scores`` ``{image: score}``, where each image's
    item is (``places``, e.g. ``dozor_batch_dict[2]``), and the items ``skipped`` for
    a score that is a number but no finite one >= 0 (each a message naming the item)."""

    scores: dict[int, float] = field(default_factory=dict)
    #: ``{image: spot count}`` where the item gives one (``dozorSpotsNumOf``...)
    spots: dict[int, int] = field(default_factory=dict)
    places: dict[int, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


class _SkippedItem(ValueError):
    """An item whose score is a number no scorer gives (NaN, inf, negative)."""


def dozor_scores(batch: object) -> DozorBatch:
    """The scores of a Dozor batch in any of the module's forms. One frame's
    impossible score (NaN, inf, negative) skips that item only, saying so in
    :attr:`DozorBatch.skipped`: a chunk of thousands is not lost for it.

    Raises
    ------
    BadArgument
        naming the item and the key (or position) that cannot be read.
    """
    if isinstance(batch, Mapping):  # one item, not wrapped, or a struct of items
        items = [batch] if any(key in batch for key in IMAGE_KEYS) else list(batch.values())
    else:
        items = as_list(batch, _NAME)
        if items and is_number(items[0]):  # one array item, not wrapped (mxcubecore)
            items = [items]
    if len(items) > MAX_BATCH:
        raise BadArgument(f"{_NAME}: {len(items)} items, at most {MAX_BATCH} in one call")
    read = DozorBatch()
    for n, item in enumerate(items):
        where = f"{_NAME}[{n}]"
        try:
            if isinstance(item, Mapping):
                image, score = _from_struct(item, where)
                spots = next((item[k] for k in SPOT_KEYS if item.get(k) is not None), None)
            elif isinstance(item, Sequence) and not isinstance(item, (str, bytes)):
                image, score = _from_array(item, where)
                spots = item[_SPOTS_POSITION]
            else:
                raise BadArgument(
                    f"{where}: expected a struct (image_num or index, and a score) or an "
                    f"array ({', '.join(TUPLE_FIELDS)}), got {shown(item)}"
                )
        except _SkippedItem as exc:
            read.skipped.append(str(exc))
            continue
        read.scores[image] = score
        read.places[image] = where
        read.spots.pop(image, None)  # an image given again: its own count, or none
        if is_number(spots) and float(spots).is_integer() and 0 <= spots < 2**31:
            read.spots[image] = int(spots)  # a count that is none is left out, not refused
    return read


def _from_struct(item: Mapping[object, object], where: str) -> tuple[int, float]:
    # the first key with a value: an allow_none client sends None for what it lacks
    image_key = next((k for k in IMAGE_KEYS if item.get(k) is not None), None)
    if image_key is None:
        raise BadArgument(f"{where}: no image_num (or index: the image's number)")
    image = _image_number(item[image_key], f"{where}.{image_key}")
    score_key = next((k for k in SCORE_KEYS if item.get(k) is not None), None)
    if score_key is None:
        raise BadArgument(f"{where}: no score (expected one of {', '.join(SCORE_KEYS)})")
    return image, _score(item[score_key], f"{where}.{score_key}", image)


def _from_array(item: Sequence[object], where: str) -> tuple[int, float]:
    if len(item) < len(TUPLE_FIELDS):
        raise BadArgument(
            f"{where}: {len(item)} values, expected {len(TUPLE_FIELDS)} ({', '.join(TUPLE_FIELDS)})"
        )
    image = _image_number(item[0], f"{where}[0] (image_num)")
    return image, _score(item[_SCORE_POSITION], f"{where}[{_SCORE_POSITION}] (score)", image)


def _image_number(value: object, where: str) -> int:
    """An image number (>= 1: images are numbered from the collection's first_image)."""
    number = as_int(value, where)
    if number < 1:
        raise BadArgument(
            f"{where}: image number {number} is below 1; images are numbered from the "
            "collection's first_image"
        )
    return number


def _score(value: object, where: str, image: int) -> float:
    """A score: a finite number >= 0. ``BadArgument`` for what is no number;
    :class:`_SkippedItem` for a number that is no score."""
    if not is_number(value):
        raise BadArgument(f"{where}: expected a number, got {shown(value)}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise _SkippedItem(f"{where} (image {image}): expected a finite number >= 0, got {number}")
    return number
