"""Load one article's fact sheet: safe YAML, schema check against the ontology, ids resolved, quotes anchored."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .errors import InputError
from .ontology import XSD, OntologyIndex, PropertyInfo
from .text import closest_text, find_occurrences
from .yamlsrc import LineDict, LineList, load_yaml

__all__ = ["Span", "Value", "Item", "Attribution", "Claim", "FactSheet", "FactSheetErrors", "load_fact_sheet"]

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SECTIONS = ("article", "boilerplate", "entities", "facts", "claims")
ITEM_KEYS = ("id", "type", "label", "aliases", "evidence", "source")
CLAIM_KEYS = ("id", "content", "items", "attributions", "contradicts", "evidence", "proposition")
ATTRIBUTION_KEYS = ("id", "agent", "cue", "factuality", "verdict", "relays", "evidence")
# Classes whose instances only the builder makes: never typed by hand. (An Article may be an item: a related
# story the article links to; the article being loaded is described by the 'article' section.)
BUILDER_CLASSES = ("Claim", "Attribution", "EvidenceSpan")
ENTITY_ROOTS = ("Agent", "Place", "Document")


@dataclass(frozen=True)
class Span:
    begin: int
    end: int
    quote: str
    line: int


@dataclass(frozen=True)
class Value:
    kind: str  # "item" (an id), "concept" (an IRI) or "literal" (lexical form + datatype IRI)
    value: str
    datatype: str | None = None


@dataclass
class Item:
    id: str
    types: list[str]  # class IRIs, as written (usually one)
    label: str
    section: str  # "entities" | "facts" | "claims"
    line: int
    aliases: list[str] = field(default_factory=list)
    evidence: list[Span] = field(default_factory=list)
    source: str | None = None
    claim: str | None = None  # the claim whose content this item is
    props: dict[str, list[Value]] = field(default_factory=dict)  # property IRI -> values

    @property
    def type(self) -> str:
        return self.types[0]


@dataclass
class Attribution:
    id: str
    claim: str
    agent: str
    cue: str
    line: int
    evidence: list[Span]
    factuality: str | None = None
    verdict: str | None = None
    relays: list[str] = field(default_factory=list)


@dataclass
class Claim:
    id: str
    content: str
    line: int
    items: list[str] = field(default_factory=list)
    attributions: list[Attribution] = field(default_factory=list)
    contradicts: list[str] = field(default_factory=list)
    evidence: list[Span] = field(default_factory=list)
    proposition: str | None = None  # shared id of what the claim says, across articles


@dataclass
class FactSheet:
    slug: str
    path: Path
    shown_as: str
    text: str
    article_props: dict[str, list[Value]]
    article_evidence: list[Span]
    boilerplate: list[Span]
    items: dict[str, Item]
    claims: dict[str, Claim]

    @property
    def attributions(self) -> list[Attribution]:
        return [a for c in self.claims.values() for a in c.attributions]

    def spans(self) -> list[Span]:
        """Every evidence span of the sheet (boilerplate excluded)."""
        spans = list(self.article_evidence)
        for item in self.items.values():
            spans += item.evidence
        for claim in self.claims.values():
            spans += claim.evidence
            for attribution in claim.attributions:
                spans += attribution.evidence
        return spans


class FactSheetErrors(InputError):
    """Every problem found in one fact sheet; the message is the first, with a count of the rest."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first.detail + ("" if first.hint else more), path=first.path, line=first.line,
                         column=first.column, hint=first.hint + more if first.hint else None)


def _suggest(word: str, choices) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


class _Loader:
    """One pass over a fact sheet; problems are collected, and raised together at the end."""

    def __init__(self, path: Path, shown_as: str, text: str, onto: OntologyIndex) -> None:
        self.path, self.shown, self.text, self.onto = path, shown_as, text, onto
        self.errors: list[InputError] = []
        self.reference_errors: list[InputError] = []  # unknown ids: often a consequence of a definition error
        self.items: dict[str, Item] = {}
        self.claims: dict[str, Claim] = {}
        self.ids: dict[str, int] = {}  # every id of the sheet -> line
        self.pending: list[tuple[Any, ...]] = []  # references resolved once every id is known

    # -- reporting ----------------------------------------------------------------------------
    def error(self, message: str, line: int, hint: str | None = None) -> None:
        self.errors.append(InputError(message, path=self.shown, line=line, hint=hint))

    def expect(self, value: Any, kind: type, what: str, line: int) -> bool:
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return True
        names = {LineDict: "a mapping (key: value lines)", LineList: "a list (- entries)", str: "text",
                 int: "a whole number", bool: "true or false"}
        self.error(f"{what} must be {names.get(kind, kind.__name__)}, not {type(value).__name__}", line)
        return False

    def check_keys(self, mapping: LineDict, allowed, what: str, *, props: bool = False) -> None:
        for key in mapping:
            if key in allowed or (props and key in self.onto.properties):
                continue
            choices = list(allowed) + (list(self.onto.properties) if props else [])
            hint = _suggest(key, choices) or f"allowed keys: {', '.join(allowed)}" + (
                " and ontology properties" if props else "")
            self.error(f"unknown key '{key}' in {what}", mapping.line_of(key), hint)

    def claim_id(self, ident: Any, line: int, what: str) -> str | None:
        if not isinstance(ident, str) or not ID_PATTERN.match(ident):
            self.error(f"{what} id {ident!r} is not valid", line,
                       "use lower-case letters, digits and '-' (e.g. radio-free-asia)")
            return None
        if ident in self.ids:
            self.error(f"duplicate id '{ident}' (first used at line {self.ids[ident]})", line,
                       "give each item, claim and attribution its own id")
            return None
        self.ids[ident] = line
        return ident

    # -- evidence ------------------------------------------------------------------------------
    def evidence(self, raw: Any, line: int, what: str, *, required: bool) -> list[Span]:
        if raw is None:
            if required:
                self.error(f"{what} has no evidence", line,
                           "add evidence: a quote copied verbatim from the article (or source: a URL)")
            return []
        entries = raw if isinstance(raw, LineList) else LineList([raw])
        if not isinstance(raw, LineList):
            entries.lines, entries.line = [line], line
        spans = []
        for index, entry in enumerate(entries):
            span = self.quote(entry, entries.line_of(index))
            if span:
                spans.append(span)
        if required and not entries:
            self.error(f"{what} has an empty evidence list", line, "add at least one quote")
        return spans

    def quote(self, entry: Any, line: int) -> Span | None:
        occurrence = None
        if isinstance(entry, LineDict):
            self.check_keys(entry, ("quote", "occurrence"), "an evidence quote")
            quote, occurrence = entry.get("quote"), entry.get("occurrence")
            if occurrence is not None and (not isinstance(occurrence, int) or occurrence < 1):
                self.error(f"occurrence must be a whole number from 1, not {occurrence!r}", line)
                return None
        else:
            quote = entry
        if not isinstance(quote, str) or not quote:
            self.error(f"evidence quote must be non-empty text, not {quote!r}", line)
            return None
        starts = find_occurrences(self.text, quote)
        if not starts:
            self.error(f"quote not found in the article: \"{_short(quote)}\"", line, self.not_found_hint(quote))
            return None
        if occurrence is None and len(starts) > 1:
            self.error(f"ambiguous quote \"{_short(quote)}\" occurs {len(starts)} times in the article "
                       f"(offsets {', '.join(map(str, starts[:5]))})", line,
                       f"write it as {{quote: \"{_short(quote)}\", occurrence: N}} with N from 1 to {len(starts)}")
            return None
        if occurrence is not None and occurrence > len(starts):
            self.error(f"quote \"{_short(quote)}\" occurs only {len(starts)} time(s), not {occurrence}", line,
                       f"use an occurrence from 1 to {len(starts)}")
            return None
        begin = starts[(occurrence or 1) - 1]
        return Span(begin, begin + len(quote), quote, line)

    def not_found_hint(self, quote: str) -> str:
        loose = re.compile(r"\s+".join(re.escape(w) for w in quote.split()))
        match = loose.search(self.text)
        if match and match.group() != quote:
            odd = next((c for c in match.group() if c.isspace() and c != " "), None)
            if odd:
                return (f"the article has the character U+{ord(odd):04X} where the quote has a plain space; "
                        f"write it as \\u{ord(odd):04x} inside a double-quoted YAML string")
        close = closest_text(self.text, quote)
        return f"closest text in the article: \"{close}\"" if close else "copy the quote verbatim from article.txt"

    # -- sections ------------------------------------------------------------------------------
    def load(self, data: Any) -> tuple[dict, list[Span], list[Span]]:
        if not isinstance(data, LineDict):
            self.error("a fact sheet must be a mapping with sections " + ", ".join(SECTIONS), 1)
            return {}, [], []
        self.check_keys(data, SECTIONS, "the fact sheet")
        for section in ("entities", "facts"):
            for entry, line in self.entries(data, section):
                self.item(entry, line, section, None)
        for entry, line in self.entries(data, "claims"):
            self.claim(entry, line)
        boilerplate = [s for s in (self.quote(e, ln) for e, ln in self.entries(data, "boilerplate")) if s]
        article_props, article_evidence = self.article(data.get("article"), data.line_of("article"))
        pending, self.pending = self.pending, []  # (bound methods of this loader: kept, they make it a cycle)
        for resolve in pending:
            resolve[0](*resolve[1:])
        return article_props, article_evidence, boilerplate

    def entries(self, data: LineDict, section: str):
        raw = data.get(section)
        if raw is None:
            return []
        if not self.expect(raw, LineList, f"section '{section}'", data.line_of(section)):
            return []
        return [(entry, raw.line_of(i)) for i, entry in enumerate(raw)]

    def item(self, entry: Any, line: int, section: str, claim: str | None) -> str | None:
        if not self.expect(entry, LineDict, f"an entry of '{section}'", line):
            return None
        self.check_keys(entry, ITEM_KEYS, f"item '{entry.get('id', '?')}'", props=True)
        ident = self.claim_id(entry.get("id"), entry.line_of("id"), "item")
        types = self.item_types(entry, section)
        label = entry.get("label")
        if not isinstance(label, str) or not label.strip():
            self.error(f"item '{ident}' needs a label (a readable name)", entry.line, "add label: ...")
        source = entry.get("source")
        if source is not None and not (isinstance(source, str) and re.match(r"^[a-z][a-z0-9+.-]*://\S+$", source)):
            self.error(f"source of '{ident}' must be the URL of a reference, not {source!r}", entry.line_of("source"))
            source = None
        evidence = self.evidence(entry.get("evidence"), entry.line_of("evidence"), f"item '{ident}'",
                                 required=source is None)
        aliases = entry.get("aliases", [])
        if isinstance(aliases, str):
            aliases = [aliases]
        if not all(isinstance(a, str) for a in aliases):
            self.error(f"aliases of '{ident}' must be text", entry.line_of("aliases"))
            aliases = []
        if ident is None or not types:
            return None
        item = Item(ident, types, str(label or ""), section, entry.line, list(aliases), evidence, source, claim)
        self.items[ident] = item
        for key in entry:
            if key not in ITEM_KEYS and key in self.onto.properties:
                self.pending.append((self.property_values, item.props, item, key, entry[key], entry.line_of(key)))
        return ident

    def item_types(self, entry: LineDict, section: str) -> list[str]:
        raw, line = entry.get("type"), entry.line_of("type")
        names = raw if isinstance(raw, list) and raw else [raw]
        types = [self.item_type(name, line, section) for name in names]
        return [t for t in types if t] if all(types) else []

    def item_type(self, name: Any, line: int, section: str) -> str | None:
        if not isinstance(name, str) or name not in self.onto.classes:
            hint = _suggest(str(name), self.onto.classes) or "use a class of ontology/kg.ttl by local name"
            self.error(f"unknown type {name!r}", line, hint)
            return None
        iri = self.onto.classes[name]
        if name in BUILDER_CLASSES or self.onto.is_a(iri, self.onto.classes["Claim"]):
            self.error(f"type '{name}' cannot be written as an item", line,
                       "claims go under 'claims:', attributions inside a claim; spans come from evidence")
            return None
        is_entity = any(self.onto.is_a(iri, self.onto.classes[r]) for r in ENTITY_ROOTS)
        if section == "entities" and not is_entity:
            self.error(f"type '{name}' does not belong in 'entities'", line,
                       "entities are agents, places and documents; put events, penalties, quantities and "
                       "times under 'facts' (or a claim's items)")
            return None
        return iri

    def claim(self, entry: Any, line: int) -> None:
        if not self.expect(entry, LineDict, "an entry of 'claims'", line):
            return
        self.check_keys(entry, CLAIM_KEYS, f"claim '{entry.get('id', '?')}'")
        ident = self.claim_id(entry.get("id"), entry.line_of("id"), "claim")
        content = entry.get("content")
        if not isinstance(content, str) or not content.strip():
            self.error(f"claim '{ident}' needs content: a one-sentence paraphrase", entry.line)
        if ident is None:
            return
        claim = Claim(ident, str(content or ""), entry.line,
                      evidence=self.evidence(entry.get("evidence"), entry.line_of("evidence"), f"claim '{ident}'",
                                             required=False))
        self.claims[ident] = claim
        proposition = entry.get("proposition")
        if proposition is not None:
            if isinstance(proposition, str) and ID_PATTERN.match(proposition):
                claim.proposition = proposition
            else:
                self.error(f"proposition of claim '{ident}' must be an id such as nk-threatens-abettors-with-death, "
                           f"not {proposition!r}", entry.line_of("proposition"),
                           "use the same id in every article whose claim says the same thing")
        raw_items = entry.get("items", LineList())
        if self.expect(raw_items, LineList, f"items of claim '{ident}'", entry.line_of("items")):
            for i, raw in enumerate(raw_items):
                item_id = self.item(raw, raw_items.line_of(i), "claims", ident)
                if item_id:
                    claim.items.append(item_id)
        raw_attrs = entry.get("attributions")
        if raw_attrs is None or (isinstance(raw_attrs, list) and not raw_attrs):
            self.error(f"claim '{ident}' has no attributions", entry.line,
                       "add attributions: one per agent that makes, relays or judges the claim")
        elif self.expect(raw_attrs, LineList, f"attributions of claim '{ident}'", entry.line_of("attributions")):
            for i, raw in enumerate(raw_attrs):
                self.attribution(claim, raw, raw_attrs.line_of(i), i + 1)
        contradicts = entry.get("contradicts", [])
        for other in ([contradicts] if isinstance(contradicts, str) else contradicts):
            self.pending.append((self.resolve_claim_ref, claim, other, entry.line_of("contradicts")))

    def attribution(self, claim: Claim, entry: Any, line: int, number: int) -> None:
        if not self.expect(entry, LineDict, f"an attribution of claim '{claim.id}'", line):
            return
        self.check_keys(entry, ATTRIBUTION_KEYS, f"an attribution of claim '{claim.id}'")
        ident = self.claim_id(entry.get("id", f"{claim.id}-{number}"), entry.line_of("id"), "attribution")
        what = f"attribution '{ident}'"
        for key in ("agent", "cue"):
            if not isinstance(entry.get(key), str) or not entry.get(key).strip():
                self.error(f"{what} needs {key}", entry.line, f"add {key}: ...")
        if "factuality" not in entry and "verdict" not in entry:
            self.error(f"{what} needs factuality (the agent's commitment) or verdict (a judgement)", entry.line,
                       "e.g. factuality: CT+ or verdict: unconfirmed")
        evidence = self.evidence(entry.get("evidence"), entry.line_of("evidence"), what, required=True)
        if ident is None:
            return
        attribution = Attribution(ident, claim.id, str(entry.get("agent", "")), str(entry.get("cue", "")),
                                  entry.line, evidence)
        claim.attributions.append(attribution)
        for key in ("factuality", "verdict"):
            if key in entry:
                info = self.onto.properties[key]
                concept = self.concept(info, entry[key], entry.line_of(key))
                setattr(attribution, key, concept)
        self.pending.append((self.resolve_attribution, attribution, entry))

    def article(self, entry: Any, line: int) -> tuple[dict, list[Span]]:
        if entry is None:
            self.error("the fact sheet has no 'article' section", line, "add article: with headline, url, ...")
            return {}, []
        if not self.expect(entry, LineDict, "section 'article'", line):
            return {}, []
        self.check_keys(entry, ("evidence",), "section 'article'", props=True)
        article_class = self.onto.classes["Article"]
        props: dict[str, list[Value]] = {}
        holder = Item("", [article_class], "", "article", entry.line)
        for key in entry:
            if key != "evidence" and key in self.onto.properties:
                self.property_values(props, holder, key, entry[key], entry.line_of(key))
        return props, self.evidence(entry.get("evidence"), entry.line_of("evidence"), "the article", required=False)

    # -- references ----------------------------------------------------------------------------
    def is_a(self, item: Item, cls: str) -> bool:
        return any(self.onto.is_a(t, cls) for t in item.types)

    def ref(self, ident: Any, line: int, what: str) -> Item | None:
        if not isinstance(ident, str) or ident not in self.items:
            known = list(self.items)
            hint = _suggest(str(ident), known) or "declare it under entities, facts or a claim's items"
            self.reference_errors.append(InputError(f"unknown id {ident!r} in {what}", path=self.shown, line=line,
                                                    hint=hint))
            return None
        return self.items[ident]

    def resolve_claim_ref(self, claim: Claim, other: Any, line: int) -> None:
        if other not in self.claims:
            self.error(f"unknown claim {other!r} in contradicts of '{claim.id}'", line,
                       _suggest(str(other), self.claims) or "name the id of another claim")
        else:
            claim.contradicts.append(other)

    def resolve_attribution(self, attribution: Attribution, entry: LineDict) -> None:
        agent = self.ref(attribution.agent, entry.line_of("agent"), f"the agent of '{attribution.id}'")
        if agent and not self.is_a(agent, self.onto.classes["Agent"]):
            self.error(f"agent '{agent.id}' of '{attribution.id}' is {_a(self.onto.local(agent.type))}, not an agent",
                       entry.line_of("agent"), "the agent must be a person, organization or group")
        relays = entry.get("relays", [])
        for other in ([relays] if isinstance(relays, str) else relays):
            known = {a.id for c in self.claims.values() for a in c.attributions}
            if other not in known:
                self.error(f"unknown attribution {other!r} in relays of '{attribution.id}'", entry.line_of("relays"),
                           _suggest(str(other), known) or "name the id of the attribution it passes on")
            else:
                attribution.relays.append(other)

    def property_values(self, props: dict, item: Item, key: str, raw: Any, line: int) -> None:
        info = self.onto.properties[key]
        if info.kind == "annotation":
            self.error(f"'{key}' is an annotation of the ontology, not a property of data", line)
            return
        if info.domain and not self.is_a(item, info.domain):
            self.error(f"property '{key}' applies to {self.onto.local(info.domain)}, not to "
                       f"{self.onto.local(item.type)} '{item.id or 'article'}'", line,
                       "check the item's type or use another property")
            return
        values = raw if isinstance(raw, list) else [raw]
        if info.functional and len(values) > 1:
            self.error(f"property '{key}' takes one value, not {len(values)}", line)
            return
        out = props.setdefault(info.iri, [])
        for value in values:
            converted = self.value(info, item, value, line)
            if converted is not None:
                out.append(converted)

    def value(self, info: PropertyInfo, item: Item, raw: Any, line: int) -> Value | None:
        if info.values_from:
            concept = self.concept(info, raw, line)
            return Value("concept", concept) if concept else None
        if info.kind == "object":
            return self.object_value(info, item, raw, line)
        return self.literal(info, raw, line)

    def object_value(self, info: PropertyInfo, item: Item, raw: Any, line: int) -> Value | None:
        target = self.ref(raw, line, f"'{info.local}' of '{item.id or 'article'}'")
        if target is None:
            return None
        if info.range and info.range.startswith(self.onto.ns.ontology) and not self.is_a(target, info.range):
            self.error(f"'{info.local}' expects {_a(self.onto.local(info.range))}, but '{target.id}' is "
                       f"{_a(self.onto.local(target.type))}", line, "point it at an item of the right type")
            return None
        if target.claim and item.claim != target.claim:
            where = "a plain fact" if not item.claim else f"claim '{item.claim}'"
            self.error(f"{where} refers to '{target.id}', which is content of claim '{target.claim}'", line,
                       "a claim's items may only be used inside that claim; declare it as a fact if the "
                       "article states it in its own voice")
            return None
        return Value("item", target.id)

    def concept(self, info: PropertyInfo, raw: Any, line: int) -> str | None:
        keys = self.onto.concepts.get(info.values_from or "", {})
        if isinstance(raw, str) and raw in keys:
            return keys[raw]
        notations = sorted(k for k, iri in keys.items() if self.onto.local(iri) != k)
        self.error(f"{raw!r} is not a value of '{info.local}'", line,
                   (_suggest(str(raw), keys) or "") + f" choose one of {', '.join(notations)}")
        return None

    def literal(self, info: PropertyInfo, raw: Any, line: int) -> Value | None:
        datatype = info.datatype or XSD + "string"
        lexical, problem = _lexical(raw, datatype)
        if problem:
            self.error(f"value {raw!r} of '{info.local}' is not {problem}", line)
            return None
        return Value("literal", lexical, datatype)


_DATE_PATTERNS = {
    "gYear": (r"^-?\d{4}$", "a year such as \"1953\""),
    "gYearMonth": (r"^-?\d{4}-(0[1-9]|1[0-2])$", "a year and month such as \"2015-10\""),
    "gMonth": (r"^--(0[1-9]|1[0-2])$", "a month such as \"--08\""),
    "gMonthDay": (r"^--(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$", "a month and day such as \"--10-14\""),
    "date": (r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$", "a date such as \"2015-10-14\""),
}


def _lexical(raw: Any, datatype: str) -> tuple[str, str | None]:
    """The lexical form of a YAML scalar for an XSD datatype, or a description of what it should be."""
    local = datatype.rsplit("#", 1)[-1]
    if local in _DATE_PATTERNS:
        pattern, described = _DATE_PATTERNS[local]
        text = str(raw) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
        return (text, None) if re.match(pattern, text) else ("", described)
    if local == "boolean":
        return ("true" if raw else "false", None) if isinstance(raw, bool) else ("", "true or false")
    if local in ("decimal", "integer", "nonNegativeInteger", "positiveInteger"):
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            return "", "a number"
        try:
            number = Decimal(str(raw).replace("_", ""))
        except InvalidOperation:
            return "", "a number"
        if local == "decimal":
            return format(number.normalize(), "f") if number == number.to_integral() else str(number), None
        if number != number.to_integral() or (local != "integer" and number < (1 if local == "positiveInteger" else 0)):
            return "", {"integer": "a whole number", "nonNegativeInteger": "a whole number from 0",
                        "positiveInteger": "a whole number from 1"}[local]
        return str(int(number)), None
    if local == "anyURI":
        ok = isinstance(raw, str) and re.match(r"^[a-z][a-z0-9+.-]*:\S+$", raw)
        return (raw, None) if ok else ("", "a URL")
    if isinstance(raw, str) and raw.strip():
        return raw, None
    return "", "text (put it in quotes)"


def _a(name: str) -> str:
    return ("an " if name[:1] in "AEIOU" else "a ") + name


def _short(quote: str, limit: int = 60) -> str:
    quote = " ".join(quote.split())
    return quote if len(quote) <= limit else quote[: limit - 1] + "…"


def load_fact_sheet(path: Path, text_path: Path, onto: OntologyIndex, *, slug: str,
                    shown_as: str | None = None, text_shown: str | None = None) -> FactSheet:
    """Load and check one fact sheet against its article text and the ontology; raise FactSheetErrors."""
    shown = shown_as or str(path)
    try:
        text = text_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("article text not found", path=text_shown or str(text_path),
                         hint="put the text in article.txt") from None
    except UnicodeDecodeError as err:
        raise InputError(f"article text is not UTF-8 ({err.reason} at byte {err.start})",
                         path=text_shown or str(text_path), hint="save the text as UTF-8") from None
    loader = _Loader(path, shown, text, onto)
    article_props, article_evidence, boilerplate = loader.load(load_yaml(path, shown_as=shown))
    if loader.errors or loader.reference_errors:
        # definition errors (types, keys, ids, quotes) first: an unknown id is often only their consequence
        errors = sorted(loader.errors, key=lambda e: e.line or 0) + sorted(loader.reference_errors,
                                                                          key=lambda e: e.line or 0)
        raise FactSheetErrors(errors)
    return FactSheet(slug, path, shown, text, article_props, article_evidence, boilerplate,
                     loader.items, loader.claims)
