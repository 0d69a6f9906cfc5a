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

    def add(self, records: list[EntityRecord] | list[list]) -> None:
        """Register one article's entities; a type conflict is an error, a label conflict a warning. ``records``:
        EntityRecords, or lists [id, types, label, where] as a build's index keeps them (a rebuild of 10k articles
        takes 100k of them, nearly all of entities already known: no record is made for those)."""
        for record in records:
            ident, types, label = record[0], record[1], record[2]
            known = self.records.get(ident)
            if known is None:
                self.records[ident] = record if isinstance(record, EntityRecord) else _record(record)
                continue
            if known is record:
                continue
            if len(types) != len(known.types) or not known.types.issuperset(types):
                raise InputError(EntityConflict(ident, "type", _record(record), known).line())
            if known.label != label:
                self.warnings.append(EntityConflict(ident, "label", _record(record), known))


def _record(row: EntityRecord | list) -> EntityRecord:
    return row if isinstance(row, EntityRecord) else EntityRecord(row[0], frozenset(row[1]), row[2], row[3])
