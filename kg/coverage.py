"""Which sentences of an article no item cites: the fact sheet's gaps."""
from __future__ import annotations

from dataclasses import dataclass

from .factsheet import FactSheet, Span
from .text import Sentence, split_sentences

__all__ = ["Coverage", "coverage"]


@dataclass(frozen=True)
class Coverage:
    slug: str
    total: int
    covered: int
    uncovered: tuple[Sentence, ...]
    boilerplate: tuple[Sentence, ...]

    @property
    def ratio(self) -> float:
        facts = self.total - len(self.boilerplate)
        return self.covered / facts if facts else 1.0

    @classmethod
    def from_dict(cls, data: dict) -> Coverage:
        def sentences(rows):
            return tuple(Sentence(r["begin"], r["end"], r["text"]) for r in rows)
        return cls(data["article"], data["sentences"], data["covered"], sentences(data["uncovered"]),
                   sentences(data["boilerplate"]))

    def to_dict(self) -> dict:
        def rows(sentences):
            return [{"begin": s.begin, "end": s.end, "text": s.text} for s in sentences]
        return {"article": self.slug, "sentences": self.total, "covered": self.covered,
                "uncovered": rows(self.uncovered), "boilerplate": rows(self.boilerplate)}


def _overlaps(sentence: Sentence, spans: list[Span]) -> bool:
    return any(span.begin < sentence.end and span.end > sentence.begin for span in spans)


def coverage(sheet: FactSheet) -> Coverage:
    """Split the text into sentences; a sentence is covered when some evidence span overlaps it."""
    spans = sheet.spans()
    covered, uncovered, boilerplate = 0, [], []
    for sentence in split_sentences(sheet.text):
        if _overlaps(sentence, spans):
            covered += 1
        elif _overlaps(sentence, sheet.boilerplate):
            boilerplate.append(sentence)
        else:
            uncovered.append(sentence)
    return Coverage(sheet.slug, covered + len(uncovered) + len(boilerplate), covered, tuple(uncovered),
                    tuple(boilerplate))
