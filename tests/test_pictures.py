"""Pictures: the annotated article (kg report), the claim network (kg draw) and the ontology documentation (kg docs).

The report is opened in headless Chromium (selenium + chromedriver): a screenshot is taken and the DOM must hold
exactly one highlight per evidence span of the built graph, with the span's text at the span's offsets.
"""
from __future__ import annotations

import json
import shutil
import struct
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import OWL, RDF, SH, SKOS

from conftest import ROOT, SEED_SLUG, copy_project, run_kg
from kg.config import namespaces
from kg.report import _Layer, marked_text

NS = namespaces()
KG = NS.ontology
CHROMIUM = next((p for p in (shutil.which("chromium"), "/usr/bin/chromium") if p and Path(p).exists()), None)
CHROMEDRIVER = next((p for p in (shutil.which("chromedriver"), "/usr/bin/chromedriver") if p and Path(p).exists()),
                    None)
SVG = "{http://www.w3.org/2000/svg}"
MISSING_DOT = ("kg: error: Graphviz 'dot' not found; install it (Debian: apt-get install graphviz) "
               "or write the .dot source with -o FILE.dot")


def store_rows(project: Path, query: str) -> list:
    store = ox.Store.read_only(str(project / "build" / "current" / "store"))
    return list(store.query(query, prefixes={"kg": KG}, use_default_graph_as_union=True))


def graph_spans(project: Path, slug: str = SEED_SLUG) -> set[tuple[int, int, str]]:
    rows = store_rows(project, f"""SELECT ?b ?e ?q WHERE {{ GRAPH <{NS.article_graph(slug)}> {{
        ?s a kg:EvidenceSpan ; kg:beginIndex ?b ; kg:endIndex ?e ; kg:quote ?q }} }}""")
    return {(int(r["b"].value), int(r["e"].value), r["q"].value) for r in rows}


def article_text(project: Path, slug: str) -> str:
    rows = store_rows(project, f"SELECT ?t WHERE {{ <{NS.article(slug)}> kg:text ?t }}")
    return rows[0]["t"].value


# ---------------------------------------------------------------------------------------------- the report


@pytest.fixture(scope="module")
def report_dir(seed_build: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    result = run_kg("--root", str(seed_build), "report", "-o", str(out), check=True)
    assert f"{SEED_SLUG}.html" in result.stdout
    return out


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by selenium through chromedriver, with a fresh profile."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed on this machine (Debian: apt-get install chromium chromium-driver)")
    assert CHROMEDRIVER, "chromium is here but chromedriver is not: apt-get install chromium-driver"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1400,1000"):
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="kg-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


# Every span head (mark.ev) with its offset in the text (in code points) and the text of all its fragments.
_HIGHLIGHTS_JS = """
const text = document.getElementById('text');
const points = s => Array.from(s).length;
const marks = [];
for (const mark of text.querySelectorAll('mark.ev')) {
  const range = document.createRange();
  range.setStart(text, 0);
  range.setEndBefore(mark);
  const id = mark.getAttribute('data-span');
  const parts = Array.from(text.querySelectorAll('mark[data-span="' + id + '"]')).map(m => m.textContent);
  marks.push([id, points(range.toString()), parts.join('')]);
}
return {marks: marks, text: text.textContent, fragments: text.querySelectorAll('mark.ev-more').length,
        scripts: document.querySelectorAll('script').length};
"""


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_report_in_chromium_one_highlight_per_span(browser, report_dir: Path, seed_build: Path) -> None:
    browser.get((report_dir / f"{SEED_SLUG}.html").as_uri())
    shot = browser.get_screenshot_as_png()
    width, height = png_size(shot)
    assert width >= 1000 and height >= 700 and len(shot) > 50_000, "the screenshot looks empty"
    (report_dir / "screenshot.png").write_bytes(shot)
    found = browser.execute_script(_HIGHLIGHTS_JS)
    ids = [m[0] for m in found["marks"]]
    assert len(ids) == len(set(ids)), "more than one highlight for a span"
    shown = {(begin, begin + len(quote), quote) for _, begin, quote in found["marks"]}
    assert shown == graph_spans(seed_build)
    assert all(i == f"{b}-{b + len(q)}" for i, b, q in found["marks"])
    assert found["text"] == article_text(seed_build, SEED_SLUG), "the page must show the article text exactly"
    assert found["fragments"] > 0, "the seed has crossing spans: some must continue in fragments"
    assert found["scripts"] == 2
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == [], severe


def test_report_hover_and_click_show_what_a_span_supports(browser, report_dir: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    browser.get((report_dir / f"{SEED_SLUG}.html").as_uri())
    mark = browser.find_element(By.CSS_SELECTOR, "#text mark.ev.k-doubted.k-penalty")
    ActionChains(browser).move_to_element(mark).perform()
    tip = browser.find_element(By.ID, "tip")
    assert tip.is_displayed() and "click for the triples" in tip.text
    mark.click()
    details = browser.find_element(By.ID, "details-body").text
    assert "judged unconfirmed by Sokeel Park" in details and "kg:modality" in details
    source = browser.find_element(By.CSS_SELECTOR, "#sources li.att.doubted")
    browser.execute_script("arguments[0].scrollIntoView()", source)
    source.click()
    wanted = source.get_attribute("data-spans").split()
    lit = browser.execute_script("return Array.from(document.querySelectorAll('#text mark.hl'))"
                                 ".map(m => m.getAttribute('data-span'))")
    assert wanted and set(lit) == set(wanted)


def test_report_lists_sources_with_claims_cues_factuality_and_verdicts(report_dir: Path) -> None:
    page = (report_dir / f"{SEED_SLUG}.html").read_text(encoding="utf-8")
    assert "<h3>Sokeel Park</h3>" in page and "<h3>Radio Free Asia</h3>" in page
    assert "verdict: unconfirmed" in page and ">CT+<" in page and "“reported”" in page
    assert "chain: Radio Free Asia ← " in page
    assert not any(ref in page for ref in ("<link", " src=", "@import", "url(")), "the page must need no network"
    index = (report_dir / "index.html").read_text(encoding="utf-8")
    assert f'href="{SEED_SLUG}.html"' in index


def test_crossing_and_nested_spans_nest_as_elements() -> None:
    def layer(b: int, e: int) -> _Layer:
        return _Layer(b, e, f'<m id="{b}-{e}">', f'<m more="{b}-{e}">', "</m>")

    html = marked_text("abcdefghij", [layer(0, 6), layer(3, 9), layer(4, 5), layer(8, 10)])
    assert html == ('<m id="0-6">abc<m id="3-9">d<m id="4-5">e</m>f</m></m><m more="3-9">gh<m id="8-10">i</m></m>'
                    '<m more="8-10">j</m>')


class _Page(HTMLParser):
    """Start tags, the text of div#text, and the text of each script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.depth = 0  # inside div#text: element depth
        self.text: list[str] = []
        self.scripts: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self.in_script = tag == "script"
        if self.in_script:
            self.scripts.append("")
        if self.depth or (tag == "div" and attrs.get("id") == "text"):
            self.depth += 1

    def handle_endtag(self, tag):
        self.in_script = False
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.in_script:
            self.scripts[-1] += data
        elif self.depth:
            self.text.append(data)


TRICKY_TEXT = ('Tricky <script>alert("x")</script> & friends.\n\n'
               'He said "a <b>bold</b> claim" &amp; left. It\'s \'quoted\'.\n\n'
               "Nobody cites this sentence.\n")
TRICKY_FACTS = """\
article:
  headline: 'Tricky <script>alert("x")</script> & "friends"'
  language: en
  publishedBy: outlet
  evidence: ['Tricky <script>alert("x")</script> & friends.']
entities:
  - id: outlet
    type: NewsOutlet
    label: The <b>Outlet</b> & "Co"
    evidence: ["friends"]
  - id: speaker
    type: Person
    label: He <i>himself</i>
    evidence: [{quote: "He", occurrence: 1}]
claims:
  - id: bold-claim
    content: A <b>bold</b> claim & "more" </script><script>alert(1)</script>
    attributions:
      - agent: speaker
        cue: said
        factuality: CT+
        evidence: ['He said "a <b>bold</b> claim" &amp; left.']
"""


@pytest.fixture(scope="module")
def tricky_report(tmp_path_factory) -> tuple[Path, Path]:
    project = copy_project(tmp_path_factory.mktemp("tricky"), articles=False)
    folder = project / "articles" / "tricky"
    folder.mkdir(parents=True)
    (folder / "article.txt").write_text(TRICKY_TEXT, encoding="utf-8")
    (folder / "facts.yaml").write_text(TRICKY_FACTS, encoding="utf-8")
    run_kg("--root", str(project), "build", "--no-reason", check=True)
    out = project / "out"
    run_kg("--root", str(project), "report", "-o", str(out), check=True)
    return project, out / "tricky.html"


def test_report_escapes_markup_in_text_labels_and_data(tricky_report) -> None:
    project, page = tricky_report
    source = page.read_text(encoding="utf-8")
    parsed = _Page()
    parsed.feed(source)
    tags = [t for t, _ in parsed.tags]
    assert tags.count("script") == 2 and "b" not in tags and "i" not in tags, "markup from the data became elements"
    assert "".join(parsed.text) == TRICKY_TEXT
    data = json.loads(parsed.scripts[0])
    assert any("<b>bold</b>" in c["content"] for c in data["claims"].values())
    uncited = [a for t, a in parsed.tags if t == "span" and a.get("class") == "uncited"]
    assert len(uncited) == 2  # "It's 'quoted'." and "Nobody cites this sentence."
    assert len([a for t, a in parsed.tags if t == "mark" and "ev" in a.get("class", "").split()]) == \
        len(graph_spans(project, "tricky"))


def test_report_escaping_in_chromium(browser, tricky_report) -> None:
    _, page = tricky_report
    browser.get(page.as_uri())  # an injected alert() would make the next call raise UnexpectedAlertPresent
    found = browser.execute_script(_HIGHLIGHTS_JS)
    assert found["scripts"] == 2 and found["text"] == TRICKY_TEXT
    assert browser.execute_script("return document.querySelectorAll('b, i, #text script').length") == 0
    uncited = browser.execute_script("return Array.from(document.querySelectorAll('#text .uncited'))"
                                     ".map(n => n.textContent)")
    assert uncited == ["It's 'quoted'.", "Nobody cites this sentence."]


def test_report_is_deterministic(seed_build: Path, report_dir: Path, tmp_path: Path) -> None:
    run_kg("--root", str(seed_build), "report", "-o", str(tmp_path), env={"PYTHONHASHSEED": "7"}, check=True)
    for name in (f"{SEED_SLUG}.html", "index.html"):
        assert (tmp_path / name).read_bytes() == (report_dir / name).read_bytes()


# ---------------------------------------------------------------------------------------------- kg draw

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed (apt-get install graphviz)")


def svg_nodes(path: Path) -> set[str]:
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return {g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "node"}


def sources(project: Path) -> set[str]:
    rows = store_rows(project, "SELECT DISTINCT ?agent WHERE { ?att kg:agent ?agent ; kg:factuality ?f }")
    return {r["agent"].value[len(NS.ids):] for r in rows}


@needs_dot
def test_draw_claim_network_svg_has_every_source(seed_build: Path, tmp_path: Path) -> None:
    out = tmp_path / "claims.svg"
    result = run_kg("--root", str(seed_build), "draw", "-o", str(out), check=True)
    assert result.stdout.strip().endswith("claims.svg")
    nodes = svg_nodes(out)
    expected = sources(seed_build)
    assert len(expected) >= 10
    assert {f"agent {s}" for s in expected} <= nodes
    assert len([n for n in nodes if n.startswith("claim ")]) == 26
    assert any(n.startswith("verdict ") for n in nodes) and "legend" in nodes


@needs_dot
def test_draw_entity_neighbourhood(seed_build: Path, tmp_path: Path) -> None:
    out = tmp_path / "park.svg"
    run_kg("--root", str(seed_build), "draw", "--entity", "sokeel-park", "-o", str(out), check=True)
    nodes = svg_nodes(out)
    assert "agent sokeel-park" in nodes
    assert len([n for n in nodes if n.startswith("claim ")]) >= 5
    unknown = run_kg("--root", str(seed_build), "draw", "--entity", "sokeel-parc", "-o", str(tmp_path / "x.svg"))
    assert unknown.returncode != 0 and "did you mean 'sokeel-park'" in unknown.stderr


@needs_dot
def test_draw_is_byte_identical_between_runs(seed_build: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        env = {"PYTHONHASHSEED": "1" if name == "a" else "2"}
        run_kg("--root", str(seed_build), "draw", "-o", str(tmp_path / f"{name}.svg"), env=env, check=True)
        run_kg("--root", str(seed_build), "draw", "-o", str(tmp_path / f"{name}.dot"), env=env, check=True)
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert (tmp_path / "a.dot").read_bytes() == (tmp_path / "b.dot").read_bytes()


def test_draw_without_graphviz(seed_build: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env = {"PATH": str(empty)}
    failed = run_kg("--root", str(seed_build), "draw", "-o", str(tmp_path / "x.svg"), env=env)
    assert failed.returncode != 0
    assert failed.stderr.strip() == MISSING_DOT and not (tmp_path / "x.svg").exists()
    ok = run_kg("--root", str(seed_build), "draw", "--article", SEED_SLUG, "-o", str(tmp_path / "x.dot"), env=env)
    assert ok.returncode == 0, ok.stderr
    source = (tmp_path / "x.dot").read_text(encoding="utf-8")
    assert source.startswith("digraph ") and "subgraph cluster_legend" in source
    assert all(f'"agent {s}"' in source for s in sources(seed_build))


# ---------------------------------------------------------------------------------------------- kg docs


def test_docs_document_every_class_property_concept_and_shape(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "docs-project", articles=False)
    run_kg("--root", str(project), "docs", "-o", str(tmp_path / "docs"), check=True)
    page = (tmp_path / "docs" / "index.html").read_text(encoding="utf-8")
    graph = rdflib.Graph()
    for name in ("kg.ttl", "vocabularies.ttl", "shapes.ttl"):
        graph.parse(ROOT / "ontology" / name, format="turtle")
    ours = lambda t: isinstance(t, rdflib.URIRef) and str(t).startswith(KG)  # noqa: E731
    classes = {c for c in graph.subjects(RDF.type, OWL.Class) if ours(c)}
    assert len(classes) > 40
    for cls in classes:
        local = str(cls)[len(KG):]
        label = str(graph.value(cls, rdflib.RDFS.label) or local)
        assert f'id="{local}"' in page and (f"kg:{local}" in page or label in page), local
    terms = {t for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, SKOS.Concept,
                            SKOS.ConceptScheme) for t in graph.subjects(RDF.type, kind) if ours(t)}
    missing = sorted(str(t)[len(KG):] for t in terms if f'id="{str(t)[len(KG):]}"' not in page)
    assert missing == []
    shapes = {str(s).rsplit("#", 1)[1] for s in graph.subjects(RDF.type, SH.NodeShape) if isinstance(s, rdflib.URIRef)}
    assert shapes and all(f'id="shape-{s}"' in page for s in shapes)
    assert "Every evidence span needs exactly one quote" in page  # the shapes' messages
    assert not any(ref in page for ref in ("<script", "<link", " src=", "@import", "url(")), "self-contained"
