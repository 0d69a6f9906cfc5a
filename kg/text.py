"""The article text: finding quotes, splitting sentences, suggesting the closest text for a quote not found."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

__all__ = ["Sentence", "find_occurrences", "split_sentences", "closest_text"]


@dataclass(frozen=True)
class Sentence:
    begin: int
    end: int
    text: str


def find_occurrences(text: str, quote: str) -> list[int]:
    """Start offsets of every occurrence of ``quote`` in ``text`` (overlapping ones included)."""
    starts, at = [], text.find(quote)
    while at != -1:
        starts.append(at)
        at = text.find(quote, at + 1)
    return starts


# A sentence ends at . ! ? or … (optionally followed by a closing quote or bracket) before whitespace and an
# upper-case letter, a digit or an opening quote; a line break always ends one.
_BOUNDARY = re.compile(r'(?<=[.!?…])["”’)\]]?\s+(?=["“‘(\[]?[A-Z0-9])')


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with their offsets; blank lines are skipped, a line is never joined to the next."""
    sentences: list[Sentence] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        pieces = _BOUNDARY.split(line.group())
        for match_start, piece in _pieces_with_offsets(line.group(), pieces):
            stripped = piece.strip()
            if stripped:
                begin = start + match_start + (len(piece) - len(piece.lstrip()))
                sentences.append(Sentence(begin, begin + len(stripped), stripped))
    return sentences


def _pieces_with_offsets(line: str, pieces: list[str]):
    at = 0
    for piece in pieces:
        found = line.find(piece, at)
        yield found, piece
        at = found + len(piece)


def closest_text(text: str, quote: str, *, limit: int = 90) -> str | None:
    """The stretch of ``text`` most like ``quote`` (for 'did you mean' hints), or None if nothing is close."""
    if not quote.strip():
        return None
    best, best_ratio = None, 0.0
    width = len(quote)
    for sentence in split_sentences(text):
        matcher = difflib.SequenceMatcher(None, quote.lower(), sentence.text.lower(), autojunk=False)
        block = max(matcher.get_matching_blocks(), key=lambda b: b.size)
        lo = max(0, block.b - block.a)
        window = sentence.text[lo:lo + width]
        ratio = difflib.SequenceMatcher(None, quote.lower(), window.lower(), autojunk=False).ratio()
        if ratio > best_ratio:
            best, best_ratio = window, ratio
    if best is None or best_ratio < 0.5:
        return None
    return best if len(best) <= limit else best[: limit - 1] + "…"
