"""Query results as text: table and markdown for people; SPARQL 1.1 JSON, XML, CSV and TSV for programs."""
from __future__ import annotations

import csv
import io
import json

import orjson
import pyoxigraph as ox

from .config import Namespaces
from .ontology import XSD
from .query import QueryResult
from .rdfutil import PREFIXES, kg_prefixes, serialize_sorted

__all__ = ["RESULT_FORMATS", "format_result", "display_term"]

RESULT_FORMATS = ("table", "csv", "tsv", "json", "xml", "markdown")


def escape(text: str) -> str:
    """Text as XML character data (what xml.sax.saxutils.escape does, without importing urllib with it)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoteattr(text: str) -> str:
    """Text as a double-quoted XML attribute value (whitespace kept as characters)."""
    text = escape(text).replace('"', "&quot;")
    return '"' + text.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;") + '"'


def display_term(term, ns: Namespaces | None = None) -> str:
    """A short human form: prefixed IRIs, plain literal values."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        prefixes = kg_prefixes(ns) if ns else PREFIXES
        for prefix, base in sorted(prefixes.items(), key=lambda kv: -len(kv[1])):
            if term.value.startswith(base) and len(term.value) > len(base):
                return f"{prefix}:{term.value[len(base):]}"
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD + "string":
        out["datatype"] = term.datatype.value
    return out


def _csv_value(term) -> str:
    if term is None:
        return ""
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value


def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
    if term.datatype.value != XSD + "string":
        return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
    return f"<literal>{escape(term.value)}</literal>"


def format_result(result: QueryResult, fmt: str, ns: Namespaces, *, width: int | None = None) -> str:
    if result.form == "ask":
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": result.boolean}) + "\n"
        if fmt == "xml":
            return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
                    f"<boolean>{str(result.boolean).lower()}</boolean></sparql>\n")
        return ("true" if result.boolean else "false") + "\n"
    if result.form == "graph":
        quads = [ox.Quad(t.subject, t.predicate, t.object) for t in result.triples]
        prefixes = dict(PREFIXES, kg=ns.ontology)
        return serialize_sorted(quads, ox.RdfFormat.TURTLE, prefixes=prefixes).decode("utf-8")
    return _FORMATTERS[fmt](result, ns, width)


def _json(result: QueryResult, ns, width) -> str:
    bindings = [{k: _json_term(v) for k, v in row.items()} for row in result.rows]
    # orjson: json.dumps with an indent runs its encoder in Python (3.3 s for 60k rows of 8 columns)
    return orjson.dumps({"head": {"vars": result.variables}, "results": {"bindings": bindings}},
                        option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode("utf-8")


def _csv(result: QueryResult, ns, width) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_csv_value(row.get(v)) for v in result.variables])
    return out.getvalue()


def _tsv(result: QueryResult, ns, width) -> str:
    lines = ["\t".join("?" + v for v in result.variables)]
    for row in result.rows:
        lines.append("\t".join(str(row[v]) if v in row else "" for v in result.variables))
    return "\n".join(lines) + "\n"


def _xml(result: QueryResult, ns, width) -> str:
    parts = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">', "<head>"]
    parts += [f"<variable name={quoteattr(v)}/>" for v in result.variables]
    parts += ["</head>", "<results>"]
    for row in result.rows:
        cells = "".join(f"<binding name={quoteattr(k)}>{_xml_term(v)}</binding>" for k, v in row.items())
        parts.append(f"<result>{cells}</result>")
    parts += ["</results>", "</sparql>"]
    return "\n".join(parts) + "\n"


def _markdown(result: QueryResult, ns, width) -> str:
    def cell(term) -> str:
        return display_term(term, ns).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(result.variables) + " |", "|" + "---|" * len(result.variables)]
    lines += ["| " + " | ".join(cell(row.get(v)) for v in result.variables) + " |" for row in result.rows]
    return "\n".join(lines) + "\n"


def _table(result: QueryResult, ns, width) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False, header_style="bold")
    for name in result.variables:
        table.add_column(name, overflow="fold")
    for row in result.rows:
        table.add_row(*(display_term(row.get(v), ns) for v in result.variables))
    if width is None:  # not a terminal: as wide as the content, so no cell is folded
        cells = [[display_term(row.get(v), ns) for v in result.variables] for row in result.rows]
        widths = [max([len(v)] + [len(c[i]) for c in cells]) for i, v in enumerate(result.variables)]
        width = sum(widths) + 3 * len(widths) + 1
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=False, color_system=None)
    console.print(table)
    console.print(f"{len(result.rows)} row(s)")
    return out.getvalue()


_FORMATTERS = {"json": _json, "csv": _csv, "tsv": _tsv, "xml": _xml, "markdown": _markdown, "table": _table}
