"""One IRI per entity across articles: the same id in two fact sheets is the same entity, and when the sheets
describe it differently the difference is reported, never merged silently."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from .errors import InputError
from .factsheet import FactSheet

__all__ = ["Description", "EntityConflict", "EntityRecord", "EntityRegistry", "IndexedEntities"]


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

    def add(self, records: Iterable[EntityRecord] | IndexedEntities) -> None:
        """Register one article's entities; a type conflict is an error, a label conflict a warning. ``records``:
        EntityRecords, or IndexedEntities as a build's index keeps them (a rebuild of 10k articles takes 100k of
        them, nearly all descriptions already known: no record is made for those)."""
        if isinstance(records, IndexedEntities):
            self._add_indexed(records)
            return
        for record in records:
            known = self.records.get(record.id)
            if known is None:
                self.records[record.id] = record
            elif known is not record:
                self._compare(record, known)

    def _add_indexed(self, entities: IndexedEntities) -> None:
        table, rows, records = entities.table, entities.rows, self.records
        for i in range(0, len(rows), 2):
            ident, types, label = table[rows[i]]
            known = records.get(ident)
            if known is None:
                records[ident] = EntityRecord(ident, types, label, entities.where(rows[i + 1]))
            elif known.types is not types or known.label != label:  # (the same table entry: the same frozenset)
                self._compare(EntityRecord(ident, types, label, entities.where(rows[i + 1])), known)

    def _compare(self, record: EntityRecord, known: EntityRecord) -> None:
        if len(record.types) != len(known.types) or not known.types.issuperset(record.types):
            raise InputError(EntityConflict(record.id, "type", record, known).line())
        if known.label != record.label:
            self.warnings.append(EntityConflict(record.id, "label", record, known))


class Description(NamedTuple):
    """An entity as a fact sheet describes it (an EntityRecord without its place): a build's index keeps each
    distinct one once, in a table its articles' entities point into."""
    id: str
    types: frozenset[str]
    label: str


class IndexedEntities:
    """An article's entities as a build's index keeps them (see :meth:`encode`): numbers into the index's table of
    distinct descriptions, each with the line of the article's fact sheet it is on. Iterates as EntityRecords."""

    __slots__ = ("table", "sheet", "rows")

    def __init__(self, table: list[Description], sheet: str, rows: list) -> None:
        self.table, self.sheet, self.rows = table, sheet, rows

    def where(self, line: int | str) -> str:
        return f"{self.sheet}:{line}" if isinstance(line, int) else line

    def __iter__(self) -> Iterator[EntityRecord]:
        rows = self.rows
        for i in range(0, len(rows), 2):
            yield EntityRecord(*self.table[rows[i]], self.where(rows[i + 1]))

    def __len__(self) -> int:
        return len(self.rows) // 2

    @staticmethod
    def encode(records: Iterable[EntityRecord], sheet: str, numbers: dict[Description, int],
               table: list[Description]) -> list:
        """The rows [description number, line, ...] of an article's ``records`` (a place that is not on its fact
        ``sheet`` stays whole, a string); a description not yet in ``table`` is added to it (and to ``numbers``,
        its numbers by description)."""
        rows: list = []
        for record in records:
            description = Description(record.id, record.types, record.label)
            number = numbers.get(description)
            if number is None:
                number = numbers[description] = len(table)
                table.append(description)
            head, _, line = record.where.rpartition(":")
            rows += [number, int(line) if head == sheet and line.isdigit() and str(int(line)) == line
                     else record.where]
        return rows
