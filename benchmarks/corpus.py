"""A deterministic synthetic corpus for kg: article texts and fact sheets whose quotes anchor.

Entities (outlets, officials, researchers, places) are drawn from shared pools with a skewed (Zipf-like)
distribution, so the same entity recurs across many articles, always with the same id, type and label.
Each article has claims with attribution chains, verdicts and (some) a state-media denial that contradicts them,
threatened penalties, hedged quantities, events with places and weekdays, the positions of the people who judge
the claims — about three hundred triples per article with the inferred ones.

    python benchmarks/corpus.py OUT_DIR --articles 100 --seed 7
"""
from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

OUTLETS = ["Radio Free Asia", "Yonhap", "Daily NK", "NK News", "Asia Press", "Reuters", "AP", "BBC Korean"]
NGOS = ["Liberty in North Korea", "Human Rights Watch", "Citizens' Alliance", "NK Watch", "Transitional Justice Group"]
FIRST = ["Min", "Ji", "Sung", "Hye", "Young", "Dae", "Eun", "Kyung", "Soo", "Jae"]
LAST = ["Park", "Kim", "Lee", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim"]
TITLES = ["director of research", "senior analyst", "program officer", "field researcher", "policy adviser"]
#: Towns with the province each is in (one province per town, as on a map: articles that mention a town agree on
#: where it is, as real reports do).
TOWNS = {"Hoeryong": "North Hamgyong", "Musan": "North Hamgyong", "Hyesan": "Ryanggang", "Sinuiju": "North Pyongan",
         "Onsong": "North Hamgyong", "Manpo": "Chagang", "Chongjin": "North Hamgyong", "Kimchaek": "North Hamgyong",
         "Hamhung": "South Hamgyong", "Wonsan": "Kangwon"}
ACTS = ["helping families defect", "smuggling phones across the river", "bribing border guards",
        "watching foreign films", "sending money abroad"]
PENALTIES = [("Execution", "death"), ("Banishment", "banishment to remote areas"),
             ("HardLabor", "hard labor"), ("Imprisonment", "prison terms")]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def slugify(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-").replace("--", "-")


def pick(rng: random.Random, pool: list, skew: float = 1.2):
    """Zipf-like choice: early entries of the pool come up far more often."""
    weights = [1 / (i + 1) ** skew for i in range(len(pool))]
    return rng.choices(pool, weights=weights, k=1)[0]


def q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Article:
    """Builds one article's sentences and fact-sheet entries side by side, so every quote is in the text."""

    def __init__(self, number: int, rng: random.Random) -> None:
        self.number, self.rng = number, rng
        self.slug = f"synthetic-{number:05d}"
        self.sentences: list[str] = []
        self.entities: dict[str, list[str]] = {}
        self.facts: list[list[str]] = []
        self.claims: list[list[str]] = []

    def entity(self, ident: str, kind: str, label: str, quote: str, extra: tuple[str, ...] = ()) -> str:
        if ident not in self.entities:
            self.entities[ident] = [f"  - id: {ident}", f"    type: {kind}", f"    label: {q(label)}", *extra,
                                    f"    evidence: [{{quote: {q(quote)}, occurrence: 1}}]"]
        return ident

    def write(self) -> tuple[str, str]:
        tag = f"Report {self.number}"
        self.sentences.insert(0, f"{tag}: border controls tightened again.")
        text = "\n\n".join(self.sentences) + "\n"
        lines = ["article:", f"  headline: {q(tag + ': border controls tightened again.')}",
                 f"  url: https://example.org/synthetic/{self.number}", "  language: en",
                 f"  evidence: [{q(tag + ': border controls tightened again.')}]", "entities:"]
        for block in self.entities.values():
            lines += block
        lines.append("facts:")
        for block in self.facts:
            lines += block
        lines.append("claims:")
        for block in self.claims:
            lines += block
        return text, "\n".join(lines) + "\n"


def add_threat(art: Article, index: int, act: str) -> None:
    rng = art.rng
    outlet, town = pick(rng, OUTLETS), pick(rng, list(TOWNS))
    region = TOWNS[town]
    kind, words = rng.choice(PENALTIES)
    weekday = rng.choice(WEEKDAYS)
    sentence = (f"On {weekday}, {outlet}, citing residents of {town} in {region} (case {art.number}-{index}), "
                f"reported that authorities warned that anyone caught {act} would face {words}.")
    on_day = "\n\n".join(art.sentences).count(f"On {weekday},") + 1  # the how-manieth "On Monday" of the text
    art.sentences.append(sentence)
    o = art.entity(slugify(outlet), "NewsOutlet", outlet, outlet)
    r = art.entity(slugify(region), "Region", region, region, ("    locatedIn: north-korea",))
    t = art.entity(slugify(town), "Settlement", town, town, (f"    locatedIn: {r}",))
    art.entity("north-korea", "Country", "North Korea", "authorities")
    art.entity("nk-authorities", "GovernmentBody", "North Korean authorities", "authorities")
    sid = f"residents-{index}"
    art.facts.append([f"  - id: {sid}", "    type: GroupOfPeople", f"    label: {q('residents of ' + town)}",
                      "    isAnonymous: true", f"    basedIn: {t}",
                      f"    evidence: [{q(f'residents of {town} in {region} (case {art.number}-{index})')}]"])
    cid = f"threat-{index}"
    art.claims.append([
        f"  - id: {cid}", f"    content: {q(f'Anyone caught {act} would face {words}.')}", "    items:",
        f"      - id: {cid}-penalty", f"        type: {kind}", f"        label: {q(words + ' for ' + act)}",
        "        modality: threatened", "        imposedBy: nk-authorities",
        f"        evidence: [{q(f'anyone caught {act} would face {words}')}]",
        f"      - id: {cid}-warning", "        type: Warning", f"        label: {q('warning about ' + act)}",
        "        hasOrganizer: nk-authorities", f"        occurredAt: {t}", f"        carries: {cid}-penalty",
        f"        hasTime: {cid}-day",
        f"        evidence: [{q(f'authorities warned that anyone caught {act}')}]",
        f"      - id: {cid}-day", "        type: TimeReference", f"        label: {q(weekday)}",
        f"        statedAs: {q(weekday)}", f"        dayOfWeek: {weekday}", "        precision: weekday",
        f"        evidence: [{{quote: {q(f'On {weekday}')}, occurrence: {on_day}}}]",
        "    attributions:",
        f"      - id: {cid}-residents", f"        agent: {sid}", "        cue: citing", "        factuality: CT+",
        f"        evidence: [{q(f'citing residents of {town} in {region} (case {art.number}-{index})')}]",
        f"      - agent: {o}", "        cue: reported", "        factuality: CT+", f"        relays: {cid}-residents",
        f"        evidence: [{q(f'On {weekday}, {outlet}, citing residents of {town} in {region} (case {art.number}-{index})')}]",
    ])
    if rng.random() < 0.5:
        add_verdict(art, cid, index)
    if rng.random() < 0.2:
        add_denial(art, cid, index, act, town)


def add_verdict(art: Article, cid: str, index: int) -> None:
    rng = art.rng
    first, last, ngo, title = pick(rng, FIRST), pick(rng, LAST), pick(rng, NGOS), pick(rng, TITLES)
    person, verdict = f"{first} {last}", rng.choice(["unconfirmed", "disputed", "confirmed"])
    sentence = f"{person}, {title} at {ngo}, said the reports of case {art.number}-{index} were {verdict}."
    art.sentences.append(sentence)
    position = f"{slugify(person)}-position"
    if slugify(person) not in art.entities:  # one position per person and article (the first that names them)
        art.facts.append([f"  - id: {position}", "    type: Position", f"    label: {q(f'{title} at {ngo}')}",
                          f"    positionTitle: {q(title)}", f"    positionAt: {slugify(ngo)}",
                          f"    evidence: [{q(f'{person}, {title} at {ngo}, said the reports of case {art.number}-{index}')}]"])
    pid = art.entity(slugify(person), "Person", person, person, (f"    holdsPosition: {position}",))
    art.entity(slugify(ngo), "NGO", ngo, ngo)
    art.claims[-1] += [f"      - agent: {pid}", "        cue: said", f"        verdict: {verdict}",
                       f"        evidence: [{q(f'said the reports of case {art.number}-{index} were {verdict}')}]"]


def add_denial(art: Article, cid: str, index: int, act: str, town: str) -> None:
    """State media deny the warning: a claim of their own that contradicts the reported one."""
    sentence = f"State media outlet KCNA denied that any warning about {act} was issued in {town} (case {art.number}-{index})."
    art.sentences.append(sentence)
    art.entity("kcna", "StateMedia", "Korea Central News Agency", "KCNA")
    art.claims.append([
        f"  - id: {cid}-denial", f"    content: {q(f'No warning about {act} was issued in {town}.')}",
        "    attributions:", "      - agent: kcna", "        cue: denied", "        factuality: CT+",
        f"        evidence: [{q(sentence[:-1])}]", f"    contradicts: [{cid}]"])


def add_quantity(art: Article, index: int) -> None:
    rng = art.rng
    value, year, town = rng.randrange(100, 40000), rng.randrange(1995, 2016), pick(rng, list(TOWNS))
    hedge, word = rng.choice([("more-than", "More than"), ("nearly", "Nearly"), ("about", "Around")])
    sentence = f"{word} {value:,} people crossed the border near {town} in {year} (tally {art.number}-{index})."
    art.sentences.append(sentence)
    art.entity(slugify(town), "Settlement", town, town)
    bound = "lowerBound" if hedge == "more-than" else ("upperBound" if hedge == "nearly" else "value")
    art.facts.append([f"  - id: crossings-{index}", "    type: Quantity", f"    label: {q(f'{word.lower()} {value} crossings')}",
                      f"    {bound}: {value}", f"    hedge: {hedge}", "    unit: person",
                      f"    measures: {q('people who crossed the border near ' + town)}", f"    period: year-{index}",
                      f"    evidence: [{q(sentence[:-1])}]",  # with its tally: two quantities may read alike
                      f"  - id: year-{index}", "    type: TimeReference", f"    label: {q(str(year))}",
                      f"    statedAs: {q(str(year))}", f"    year: {q(str(year))}", "    precision: year",
                      f"    evidence: [{q(f'in {year} (tally {art.number}-{index})')}]"])


def generate(out: Path, *, articles: int, seed: int, template: Path) -> Path:
    """Write a kg project (ontology and queries copied from ``template``) with ``articles`` synthetic articles."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    for name in ("ontology", "queries"):
        shutil.copytree(template / name, out / name)
    for number in range(1, articles + 1):
        art = Article(number, rng)
        for index, act in enumerate(rng.sample(ACTS, rng.randrange(1, 4)), start=1):
            add_threat(art, index, act)
        for index in range(1, rng.randrange(2, 4)):
            add_quantity(art, index)
        text, facts = art.write()
        folder = out / "articles" / art.slug
        folder.mkdir(parents=True)
        (folder / "article.txt").write_text(text, encoding="utf-8")
        (folder / "facts.yaml").write_text(facts, encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.out, articles=args.articles, seed=args.seed, template=Path(__file__).resolve().parents[1])
    print(f"wrote {args.articles} articles to {args.out}")


if __name__ == "__main__":
    main()
