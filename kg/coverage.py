"""Which sentences of an article no item cites: the fact sheet's gaps."""
from __future__ import annotations

from dataclasses import dataclass

from .factsheet import FactSheet
from .text import Sentence, split_sentences

__all__ = ["Coverage", "coverage", "classify_sentences"]


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


def _overlaps(sentence: Sentence, ranges: list[tuple[int, int]]) -> bool:
    return any(begin < sentence.end and end > sentence.begin for begin, end in ranges)


def classify_sentences(text: str, cited: list[tuple[int, int]], boilerplate: list[tuple[int, int]]
                       ) -> tuple[int, list[Sentence], list[Sentence]]:
    """Split the text into sentences: how many some cited range overlaps, then the uncited ones and those that
    only boilerplate ranges overlap."""
    covered, uncovered, boiler = 0, [], []
    for sentence in split_sentences(text):
        if _overlaps(sentence, cited):
            covered += 1
        elif _overlaps(sentence, boilerplate):
            boiler.append(sentence)
        else:
            uncovered.append(sentence)
    return covered, uncovered, boiler


def coverage(sheet: FactSheet) -> Coverage:
    """A sentence is covered when some evidence span of the fact sheet overlaps it."""
    covered, uncovered, boilerplate = classify_sentences(
        sheet.text, [(s.begin, s.end) for s in sheet.spans()], [(s.begin, s.end) for s in sheet.boilerplate])
    return Coverage(sheet.slug, covered + len(uncovered) + len(boilerplate), covered, tuple(uncovered),
                    tuple(boilerplate))
