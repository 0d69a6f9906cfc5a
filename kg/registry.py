"""One IRI per entity across articles: the same id in two fact sheets is the same entity, and when the sheets
describe it differently the difference is reported, never merged silently."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from .errors import InputError
from .factsheet import FactSheet

__all__ = ["EntityRecord", "EntityConflict", "EntityRegistry"]


class EntityRecord(NamedTuple):  # a tuple: a build makes one per entity mention (100k+ on a large corpus)
    id: str
    types: frozenset[str]
    label: str
    where: str  # "articles/<slug>/facts.yaml:LINE"


@dataclass(frozen=True)
class EntityConflict:
    id: str
    kind: str  # "type" | "label"
    here: EntityRecord
    there: EntityRecord

    def line(self) -> str:
        if self.kind == "type":
            return (f"{self.here.where}: entity '{self.id}' is typed {_names(self.here.types)} here but "
                    f"{_names(self.there.types)} in {self.there.where}; give it the same type in both, or use "
                    "another id if they are different entities")
        return (f"{self.here.where}: entity '{self.id}' is labelled '{self.here.label}' here but "
                f"'{self.there.label}' in {self.there.where}; use one label and list the other under aliases")


def _names(types: frozenset[str]) -> str:
    return "/".join(sorted(t.rsplit("#", 1)[-1] for t in types))


class EntityRegistry:
    """Entities seen so far, by id; the first description of an entity is the reference."""

    def __init__(self) -> None:
        self.records: dict[str, EntityRecord] = {}
        self.warnings: list[EntityConflict] = []

    @staticmethod
    def records_of(sheet: FactSheet) -> list[EntityRecord]:
        return [EntityRecord(item.id, frozenset(item.types), item.label, f"{sheet.shown_as}:{item.line}")
                for item in sheet.items.values() if item.section == "entities"]

    def add(self, records: list[EntityRecord]) -> None:
        """Register one article's entities; a type conflict is an error, a label conflict a warning."""
        for record in records:
            known = self.records.setdefault(record.id, record)
            if known is record:
                continue
            if known.types != record.types:
                raise InputError(EntityConflict(record.id, "type", record, known).line())
            if known.label != record.label:
                self.warnings.append(EntityConflict(record.id, "label", record, known))
