"""One IRI per entity across articles: the same id in two fact sheets is the same entity, and when the sheets
describe it differently the difference is reported, never merged silently."""
from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Sequence
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
    here: EntityRecord  # a sheet that differs from what most sheets say
    there: EntityRecord  # the first sheet that says what most say
    others: int = 0  # how many more sheets say what ``there`` says
    sheets: int = 2  # how many sheets describe the entity

    def line(self) -> str:
        where = self.there.where + (f" and {self.others} other sheet{'s' if self.others > 1 else ''}"
                                    if self.others else "")
        if self.kind == "type":
            return (f"{self.here.where}: entity '{self.id}' is typed {_names(self.here.types)} here but "
                    f"{_names(self.there.types)} in {where}; give it the same type in "
                    f"{'both' if self.sheets == 2 else 'every sheet'}, or use another id if they are different "
                    "entities")
        return (f"{self.here.where}: entity '{self.id}' is labelled '{self.here.label}' here but "
                f"'{self.there.label}' in {where}; use one label and list the other under aliases")


def _names(types: frozenset[str]) -> str:
    return "/".join(sorted(t.rsplit("#", 1)[-1] for t in types))


class EntityRegistry:
    """Entities seen so far, by id. The first description of an entity is kept; when a sheet describes it otherwise,
    :meth:`finish` weighs every sheet's description of it: what most sheets say is the reference (the first seen on
    a tie), and each sheet that differs is reported (a different type is an error, a different label a warning)."""

    def __init__(self) -> None:
        self.records: dict[str, EntityRecord] = {}
        self.warnings: list[EntityConflict] = []
        self._inputs: list[Sequence[EntityRecord] | IndexedEntities] = []  # each article's, to weigh a conflict
        self._contested: set[str] = set()

    @staticmethod
    def records_of(sheet: FactSheet) -> list[EntityRecord]:
        return [EntityRecord(item.id, frozenset(item.types), item.label, f"{sheet.shown_as}:{item.line}")
                for item in sheet.items.values() if item.section == "entities"]

    def add(self, records: Sequence[EntityRecord] | IndexedEntities) -> None:
        """Register one article's entities (conflicts are told by :meth:`finish`, which reads them again).
        ``records``: EntityRecords, or IndexedEntities as a build's index keeps them (a rebuild of 10k articles
        takes 100k of them, nearly all descriptions already known: no record is made for those)."""
        self._inputs.append(records)
        if isinstance(records, IndexedEntities):
            self._add_indexed(records)
            return
        for record in records:
            known = self.records.get(record.id)
            if known is None:
                self.records[record.id] = record
            elif known is not record and (known.types != record.types or known.label != record.label):
                self._contested.add(record.id)

    def _add_indexed(self, entities: IndexedEntities) -> None:
        table, rows, records = entities.table, entities.rows, self.records
        for i in range(0, len(rows), 2):
            ident, types, label = table[rows[i]]
            known = records.get(ident)
            if known is None:
                records[ident] = EntityRecord(ident, types, label, entities.where(rows[i + 1]))
            elif (known.types is not types and known.types != types) or known.label != label:
                self._contested.add(ident)  # (is: the same table entry has the same frozenset)

    def finish(self) -> None:
        """Weigh each entity that sheets describe differently, over every sheet: raise for the first sheet (in
        article order) whose type is not the one most sheets give (an InputError), else warn of each sheet whose
        label is not the one most give (in article order). Nothing is read again when all sheets agree."""
        if not self._contested:
            return
        said: dict[str, list[tuple[int, EntityRecord]]] = {}  # each contested entity's records, numbered in order
        seen = 0
        for records in self._inputs:
            found = records.about(self._contested) if isinstance(records, IndexedEntities) else \
                (record for record in records if record.id in self._contested)
            for record in found:
                said.setdefault(record.id, []).append((seen, record))
                seen += 1
        errors: list[tuple[int, EntityConflict]] = []
        warnings: list[tuple[int, EntityConflict]] = []
        for ident, numbered in said.items():
            records = [record for _, record in numbered]
            types = _most(records, lambda r: r.types)
            if any(r.types != types for r in records):
                agree = [r for r in records if r.types == types]
                errors += [(n, EntityConflict(ident, "type", r, agree[0], len(agree) - 1, len(records)))
                           for n, r in numbered if r.types != types]
                continue
            label = _most(records, lambda r: r.label)
            agree = [r for r in records if r.label == label]
            warnings += [(n, EntityConflict(ident, "label", r, agree[0], len(agree) - 1, len(records)))
                         for n, r in numbered if r.label != label]
        if errors:
            raise InputError(min(errors, key=lambda e: e[0])[1].line())
        self.warnings = [conflict for _, conflict in sorted(warnings, key=lambda w: w[0])]


def _most(records: list[EntityRecord], key) -> object:
    """The value of ``key`` that most records have; on a tie, the first seen's."""
    counts: dict[object, int] = {}
    for record in records:
        counts[key(record)] = counts.get(key(record), 0) + 1
    return max(counts, key=counts.__getitem__)  # max keeps the first of equal counts, and dicts keep insertion order


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

    def about(self, ids: Container[str]) -> Iterator[EntityRecord]:
        """The EntityRecords of these entities only (none is made for the others)."""
        table, rows = self.table, self.rows
        for i in range(0, len(rows), 2):
            description = table[rows[i]]
            if description.id in ids:
                yield EntityRecord(*description, self.where(rows[i + 1]))

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
