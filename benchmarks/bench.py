"""Measure kg on a synthetic corpus and print the figures (nothing is asserted).

    python benchmarks/bench.py --quick          # 100 articles (reasoning on 20), as CI runs it
    python benchmarks/bench.py --articles 1000 10000

For each size: full build (load, mint, emit, SHACL, store, Turtle/TriG), the same with HermiT, an incremental
rebuild after one article changes, a cold `kg query` of every stored query, export to Turtle and N-Quads,
`kg check`; wall time and peak memory (max RSS of the command's process tree) of each. In the same run, two
references: an rdflib-only pipeline on the same data (parse N-Quads, write Turtle) and pyoxigraph's bulk load
of the same N-Quads (the practical floor), with the ratios.
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpus import generate  # noqa: E402

MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)\n"
    "sys.stderr.write(r.stderr[-2000:] if r.returncode else '')\n"
)


def measure(*command: str) -> tuple[float, float]:
    """Seconds and peak MiB of one command, run in a fresh process so its peak is its own."""
    out = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=True)
    seconds, kib, code = out.stdout.split()
    if code != "0":
        raise SystemExit(f"failed ({code}): {' '.join(command)}\n{out.stderr}")
    return float(seconds), int(kib) / 1024


def kg(project: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "kg", "--root", str(project), *args]


def row(name: str, seconds: float, mib: float, note: str = "") -> None:
    print(f"  {name:<44} {seconds:9.2f} s {mib:9.0f} MiB  {note}")


def references(project: Path, nquads: Path) -> tuple[float, float]:
    rdflib_pipeline = ("import rdflib, sys; d = rdflib.Dataset(); d.parse(sys.argv[1], format='nquads'); "
                       "g = rdflib.Graph(); [g.add(t[:3]) for t in d.quads()]; g.serialize(sys.argv[2], format='turtle')")
    seconds, mib = measure(sys.executable, "-c", rdflib_pipeline, str(nquads), str(project / "rdflib.ttl"))
    row("reference: rdflib parse N-Quads + write Turtle", seconds, mib)
    floor = "import pyoxigraph as ox, sys; s = ox.Store(sys.argv[2]); s.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_QUADS)"
    floor_s, floor_mib = measure(sys.executable, "-c", floor, str(nquads), str(project / "floor-store"))
    row("reference: pyoxigraph bulk load of the N-Quads", floor_s, floor_mib)
    return seconds, floor_s


def bench(size: int, reason_size: int, work: Path) -> dict:
    print(f"\n{size} articles" + (f" (reasoning measured on {reason_size})" if reason_size != size else ""))
    project = generate(work / f"corpus-{size}", articles=size, seed=7, template=HERE.parent)
    results = {}
    results["build"] = measure(*kg(project, "build", "--full", "--no-reason"))
    row("kg build --full --no-reason (SHACL, store, exports)", *results["build"])
    triples = json.loads((project / "build" / "current" / "manifest.json").read_text())["graphs"]
    print(f"  ({sum(triples.values())} triples)")
    target = project / "articles" / "synthetic-00001" / "facts.yaml"
    target.write_text(target.read_text().replace("border controls tightened again", "border controls tightened"))
    (project / "articles" / "synthetic-00001" / "article.txt").write_text(
        (project / "articles" / "synthetic-00001" / "article.txt").read_text().replace(
            "border controls tightened again", "border controls tightened"))
    results["incremental"] = measure(*kg(project, "build", "--no-reason"))
    row("kg build after changing one article", *results["incremental"])
    for query in sorted(p.stem for p in (project / "queries").glob("*.rq")):
        params = {"claims-by-source": ["--param", "source=radio-free-asia"], "entity": ["--param", "entity=north-korea"],
                  "evidence": ["--param", "item=https://w3id.org/kgnews/id/synthetic-00001/threat-1"]}.get(query, [])
        row(f"cold kg query {query}", *measure(*kg(project, "query", query, *params, "-f", "csv")))
    for fmt in ("turtle", "nquads"):
        results[fmt] = measure(*kg(project, "export", "-f", fmt, "-o", str(project / f"export.{fmt}")))
        row(f"kg export -f {fmt}", *results[fmt])
    rdflib_s, floor_s = references(project, project / "export.nquads")
    print(f"  ratios: kg build (no reasoning) takes {results['build'][0] / max(rdflib_s, 1e-9):.1f}x the rdflib "
          f"parse+write reference and {results['build'][0] / max(floor_s, 1e-9):.0f}x the pyoxigraph floor; "
          f"kg export -f turtle takes {results['turtle'][0] / max(rdflib_s, 1e-9):.2f}x the rdflib reference")
    reasoned = project if reason_size == size else generate(work / f"corpus-r{reason_size}", articles=reason_size,
                                                            seed=7, template=HERE.parent)
    results["reasoned"] = measure(*kg(reasoned, "build", "--full"))
    row(f"kg build --full with HermiT ({reason_size} articles)", *results["reasoned"])
    results["check"] = measure(*kg(reasoned, "check"))
    row(f"kg check ({reason_size} articles)", *results["check"])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 articles, reasoning on 20 (for CI)")
    parser.add_argument("--articles", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--reason-articles", type=int, default=None,
                        help="corpus size for the builds with HermiT (default: the same size)")
    args = parser.parse_args()
    sizes = [100] if args.quick else args.articles
    print(f"kg benchmark, {date.today()}, {platform.machine()}, {platform.python_version()}, "
          f"{resource.getpagesize()}-byte pages")
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        for size in sizes:
            started = time.perf_counter()
            bench(size, 20 if args.quick else (args.reason_articles or size), Path(tmp))
            print(f"  (benchmark of {size} articles took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
