"""Generate the seed catalogue of Quảng Ninh OCOP products into seed/*.csv.

Run from the repository root (standard library only, Python 3.11+):

    python seed/generate_sample.py [path/to/ocop-quangninh-known.csv]

The known CSV defaults to ../shared/data/ocop-quangninh-known.csv beside the
checkout. The script writes seed/producers.csv, seed/products.csv and
seed/certificate_history.csv; it is deterministic (random.Random(2023)), so a
rerun rewrites the same bytes. Its data tables live in seed/sample_tables.py.

Rows with sample=yes are realistic SAMPLE entries invented for development and
demonstration, NOT real facts: those producers, their products, prices, stock
and certificates do not exist.

Rows with sample=no come from the known CSV, which cites a public source for
each (column `source`). On those rows only the product name, the producer name,
the locality and the stars are real (plus a decision number and date where the
source gives one, e.g. Trà hoa vàng Ba Chẽ). A locality or star rating the
source leaves blank is filled in and flagged "locality inferred" / "stars
assumed" in `source`. Everything else on a real row — SKU, tax code, address,
phone, e-mail, story wording, other certificate numbers and dates, unit, price,
stock, description — is illustrative. Where the source names no producer, the
product stays sample=no but its producer is an invented one with sample=yes.
E-mail addresses use example.com so that nothing is ever sent to a real inbox.

The catalogue follows the 2023 shape of Quảng Ninh's OCOP list: 346 products,
5★ = 5 (the five real 5★ products), 4★ = 86, 3★ = 255. Every current
certificate is valid on 2026-11-21 (36 months from issue); exactly
EARLY_CERTIFICATES of them were issued in the window that makes them expire
within about two months of that date.
"""

from __future__ import annotations

import calendar
import csv
import re
import sys
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from random import Random

from sample_tables import (
    COMPANY_BRANDS,
    COMPANY_EXTRAS,
    FAMILY_NAMES,
    GENERIC_DESCS,
    GIVEN_NAMES,
    HOLIDAYS,
    HOUSEHOLD_BRANDS,
    LOCALITIES,
    LOCALITY_WEIGHTS,
    MOUNTAIN_FAMILY_NAMES,
    NOT_A_BRAND,
    PHONE_PREFIXES,
    REAL_DETAILS,
    REAL_LOCALITY_GUESS,
    SEED_ARTICLE_GENERIC,
    STREETS,
    TEMPLATES,
    UNNAMED_PRODUCER_TEMPLATE,
    Template,
)

SEED_DIR = Path(__file__).resolve().parent
DEFAULT_KNOWN = Path("../shared/data/ocop-quangninh-known.csv")

TOTAL_PRODUCTS = 346
STAR_TARGETS = {5: 5, 4: 86, 3: 255}
EARLY_CERTIFICATES = 8
PRODUCTS_WITH_HISTORY = 30
ZERO_STOCK = 17  # about 5 % of the catalogue

EARLY_FROM, EARLY_TO = date(2023, 12, 20), date(2024, 1, 15)
# Later certificates start in February so that only the early window expires
# within two months of REFERENCE_DAY.
GENERAL_FROM, GENERAL_TO = date(2024, 2, 1), date(2026, 10, 31)
REFERENCE_DAY = date(2026, 11, 21)
REFORM_DAY = date(2025, 7, 1)  # province takes over 3★ when districts are abolished
NATIONAL_SCHEME_DAY = date(2019, 6, 1)  # before Decision 1048 Quảng Ninh rated every star itself
VALIDITY_MONTHS = 36

PRODUCER_COLUMNS = ["slug", "name", "legal_form", "tax_code", "locality", "address", "phone", "email", "story"]
PRODUCER_COLUMNS += ["sample", "source"]
PRODUCT_COLUMNS = ["sku", "name", "producer", "locality", "category", "stars", "certificate_no", "issuing_level"]
PRODUCT_COLUMNS += ["issued_on", "unit", "net_weight_g", "price_vnd", "stock", "description", "sample", "source"]
HISTORY_COLUMNS = ["sku", "stars", "certificate_no", "issuing_level", "issued_on"]
SEED_ARTICLES = " (named in the seed articles)"
TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)  # weights of the MST check digit


def nfc(text: str) -> str:
    """Return `text` in NFC."""
    return unicodedata.normalize("NFC", text)


def slugify(text: str) -> str:
    """ASCII, lower-case, hyphenated: `Miến dong Bình Liêu` → `mien-dong-binh-lieu`."""
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return re.sub(r"[^a-z0-9]+", "-", folded.encode("ascii", "ignore").decode().lower()).strip("-")


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the end of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def issuing_level(stars: int, issued_on: date) -> str:
    """Who certifies a rating on that day: central for 5★, province for 4★, district for 3★ until 07/2025."""
    if stars == 5:
        return "central"
    if stars == 4 or issued_on >= REFORM_DAY or issued_on < NATIONAL_SCHEME_DAY:
        return "province"
    return "district"


@dataclass
class Producer:
    slug: str
    name: str
    legal_form: str
    locality: str
    place: str
    brand: str
    maker: str
    sample: bool
    source: str = ""
    tax_code: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    story: str = ""

    def row(self) -> dict:
        return {**vars(self), "sample": "yes" if self.sample else "no"}


@dataclass
class Product:
    name: str
    producer: Producer
    locality: str
    category: str
    unit: str
    net_weight_g: int
    price_vnd: int
    description: str
    sample: bool
    source: str = ""
    stars: int = 0
    certificate_no: str = ""
    issuing_level: str = ""
    issued_on: date | None = None
    sku: str = ""
    stock: int = 0
    premium: bool = False
    note: str = ""

    def row(self) -> dict:
        sample = "yes" if self.sample else "no"
        return {**vars(self), "producer": self.producer.slug, "issued_on": self.issued_on.isoformat(), "sample": sample}


class Catalogue:
    """Builds producers, products and certificate history from the known CSV and the sample tables."""

    def __init__(self, known_rows: list[dict[str, str]]) -> None:
        self.rng = Random(2023)
        self.known_rows = known_rows
        self.producers: list[Producer] = []
        self.products: list[Product] = []
        self.history: list[tuple[Product, int, str, str, date]] = []
        self.names: set[str] = set()
        self.descriptions: set[str] = set()
        self.used = {"tax": set(), "phone": set(), "email": set(), "brand": set(), "producer": set()}
        self.decisions: dict[tuple, str] = {}
        self.decision_numbers: set[tuple[int, str]] = set()
        self.producer_templates: dict[str, Template] = {}

    # -- real rows -------------------------------------------------------------------------
    def add_real_products(self) -> None:
        """One product per real row of the known CSV; seed-article rows merge into it."""
        by_name: dict[str, Product] = {}
        real_producers: dict[str, Producer] = {}
        for row in self.known_rows:
            name = row["product_name"]
            if name.endswith(SEED_ARTICLES):
                name = name.removesuffix(SEED_ARTICLES)
                if name in by_name:
                    by_name[name].source += "; also named in seed articles"
                    continue
                if name in SEED_ARTICLE_GENERIC:
                    continue  # a theme ("Hải sản Cô Tô"), not a product: the sample tables cover it
            source, locality = row["source"], LOCALITY_BY_NAME.get(row["locality"])
            if locality is None:
                locality = REAL_LOCALITY_GUESS[row["producer"]]
                source += "; locality inferred"
            stars = int(row["stars"]) if row["stars"] else 3
            if not row["stars"]:
                source += "; stars assumed"
            producer_name = row["producer"]
            if is_unnamed(producer_name):
                template = TEMPLATE_BY_KEY[UNNAMED_PRODUCER_TEMPLATE[name]]
                producer = self.new_sample_producer(template)
            elif producer_name in real_producers:
                producer = real_producers[producer_name]
            else:
                producer = self.new_real_producer(producer_name, locality, row["source"], name)
                real_producers[producer_name] = producer
            detail = REAL_DETAILS.get((name, producer_name)) or REAL_DETAILS[name]
            category, unit, grams, price, description = detail
            product = Product(name, producer, locality, category, unit, grams, price, description, False, source)
            product.stars, product.note = stars, row["note"]
            self.add_product(product)
            by_name.setdefault(name, product)
        for producer in real_producers.values():
            producer.story = self.real_story(producer)

    def new_real_producer(self, name: str, locality: str, source: str, product: str) -> Producer:
        """A producer named by a public source; its contact details are placeholders."""
        form = legal_form_of(name)
        places = LOCALITIES[locality][2]
        # a commune the producer or its product is named after, else any
        named = [p for text in (name, product) for p in places if p.split(" ", 1)[1].removeprefix("trấn ") in text]
        place = named[0] if named else self.rng.choice(places)
        maker = {"company": "Công ty", "cooperative": "Hợp tác xã", "household": "Cơ sở"}[form]
        brand = " ".join(name.split()[-2:])
        producer = Producer(slugify(name), name, form, locality, place, brand, maker, False, source)
        return self.register(producer)

    def real_story(self, producer: Producer) -> str:
        """Say only what the known CSV says: which products, where, how many stars."""
        own = [p for p in self.products if p.producer is producer]
        names = ", ".join(p.name for p in own)
        where = "" if "locality inferred" in own[0].source else f" tại {LOCALITIES[producer.locality][0]}"
        first = f"{producer.name} là chủ thể OCOP{where} với {'các sản phẩm' if len(own) > 1 else 'sản phẩm'} {names}."
        stars = {p.stars for p in own}
        if len(stars) == 1 and not any("stars assumed" in p.source for p in own):
            return f"{first} Sản phẩm được xếp hạng OCOP {stars.pop()} sao."
        return first

    # -- sample rows -----------------------------------------------------------------------
    def add_sample_products(self) -> None:
        """Fill every locality with sample producers and products up to its share."""
        real_count = len(self.products)
        targets = share(TOTAL_PRODUCTS - real_count, LOCALITY_WEIGHTS)
        for locality, target in targets.items():
            made = sum(1 for p in self.products if p.sample and p.locality == locality)
            for template in (t for t in TEMPLATES if t.loc == locality and t.fixed):
                producer = self.new_sample_producer(template)
                made += sum(self.add_sample_product(producer, template, v) for v in template.variants)
            for producer in [p for p in self.producers if p.sample and p.locality == locality]:
                template = self.producer_templates.get(producer.slug)
                if template is not None and not template.fixed:
                    extra = min(self.rng.randint(0, 2), target - made)
                    made += self.add_variants(producer, template, extra)
            pool = [t for t in TEMPLATES if t.loc == locality and t.pool and not t.fixed]
            # every line of the locality once, then more producers drawn by weight
            queue = self.rng.sample(pool, len(pool))
            while made < target:
                template = queue.pop() if queue else self.rng.choices(pool, weights=[t.weight for t in pool])[0]
                producer = self.new_sample_producer(template)
                wanted = min(self.rng.choice((2, 3, 3, 3, 4, 4)), target - made)
                made += self.add_variants(producer, template, wanted)
        self.producers = [p for p in self.producers if any(x.producer is p for x in self.products)]

    def add_variants(self, producer: Producer, template: Template, wanted: int) -> int:
        taken = {p.name for p in self.products if p.producer is producer}
        choices = [v for v in template.variants if compose(template.base, v[0]) not in taken]
        picked = self.rng.sample(choices, min(wanted, len(choices)))
        return sum(self.add_sample_product(producer, template, v) for v in picked)

    def add_sample_product(self, producer: Producer, template: Template, variant: tuple) -> bool:
        label, unit, grams, low, high, *rest = variant
        category = rest[0] if rest and rest[0] else template.category
        note = rest[1] if len(rest) > 1 else None
        name = compose(template.base, label)
        if name in self.names:
            name = with_brand(name, producer.brand)
        if name in self.names:
            return False
        description = self.describe(template, producer, note)
        product = Product(
            name, producer, producer.locality, category, unit, grams, price(self.rng, low, high), description, True
        )
        product.premium = template.premium
        self.add_product(product)
        return True

    def describe(self, template: Template, producer: Producer, note: str | None) -> str:
        """One to three sentences: the variant's own note, some of the line's, now and then a general one."""
        rng, descs = self.rng, template.descs
        loc = LOCALITIES[producer.locality][0]
        origin = producer.place if producer.place.endswith(loc) else f"{producer.place}, {loc}"
        values = {"maker": producer.maker, "place": producer.place, "origin": origin}
        for _ in range(15):
            wanted = min(max(rng.choice((1, 2, 2, 2, 3)) - (1 if note else 0), 0 if note else 1), len(descs))
            sentences = ([note] if note else []) + [descs[i] for i in sorted(rng.sample(range(len(descs)), wanted))]
            if len(sentences) < 3 and template.category != "du-lich-cong-dong" and rng.random() < 0.35:
                sentences.append(rng.choice(GENERIC_DESCS))
            text = " ".join(s.format(**values) for s in sentences)
            if text not in self.descriptions:
                break
        self.descriptions.add(text)
        return text

    def new_sample_producer(self, template: Template) -> Producer:
        """An invented producer that makes the template's products."""
        rng, locality = self.rng, template.loc
        places = template.places or LOCALITIES[locality][2]
        for _ in range(40):
            form = {"c": "company", "o": "cooperative", "h": "household"}[rng.choice(template.forms)]
            place = rng.choice(places)
            industry = rng.choice(template.industries)
            if form == "company":
                brand = self.fresh(COMPANY_BRANDS)
                name, maker = f"Công ty {rng.choice(('TNHH', 'TNHH', 'CP'))} {industry} {brand}", "Công ty"
            elif form == "cooperative":
                brand = place.split(" ", 1)[1] if not place.startswith("thị trấn") else place.split(" ", 2)[2]
                if brand in NOT_A_BRAND:
                    continue
                name, maker = f"HTX {industry} {brand}", "Hợp tác xã"
            elif rng.random() < 0.5:
                brand = self.fresh(HOUSEHOLD_BRANDS)
                name, maker = f"Cơ sở {brand}", "Cơ sở"
            else:
                person, title = self.person(locality)
                brand = f"{title} {person.split()[-1]}"
                name, maker = f"Hộ kinh doanh {person}", brand
            if name in self.used["producer"] or (form == "household" and brand in self.used["brand"]):
                continue
            producer = self.register(Producer(slugify(name), name, form, locality, place, brand, maker, True))
            producer.story = self.sample_story(producer, template)
            self.producer_templates[producer.slug] = template
            return producer
        raise RuntimeError(f"could not name a producer for {template.key}")

    def person(self, locality: str) -> tuple[str, str]:
        families = MOUNTAIN_FAMILY_NAMES if locality in {"binh-lieu", "ba-che", "tien-yen", "dam-ha"} else FAMILY_NAMES
        female = self.rng.random() < 0.55
        given = self.rng.choice(GIVEN_NAMES["f" if female else "m"])
        return f"{self.rng.choice(families)} {'Thị' if female else 'Văn'} {given}", ("Bà" if female else "Ông")

    def fresh(self, options: tuple[str, ...]) -> str:
        free = [o for o in options if o not in self.used["brand"]]
        return self.rng.choice(free)

    def sample_story(self, producer: Producer, template: Template) -> str:
        rng, year = self.rng, self.rng.randint(2008, 2021)
        if producer.legal_form == "company":
            first = f"{producer.name} thành lập năm {year}, đặt xưởng tại {producer.place}, chuyên {template.focus}."
        elif producer.legal_form == "cooperative":
            members = rng.randint(7, 45)
            people = f"{members} thành viên là người dân {producer.place}"
            first = f"{producer.name} thành lập năm {year} với {people}, cùng nhau {template.focus}."
        elif producer.name.startswith("Cơ sở"):
            first = f"{producer.name} là cơ sở gia đình ở {producer.place}, {template.focus} từ năm {year}."
        else:
            family = producer.brand[0].lower() + producer.brand[1:]  # "Bà Hoa" → "bà Hoa"
            first = f"Gia đình {family} ở {producer.place} {template.focus} từ năm {year}."
        if rng.random() < 0.6:
            return f"{first} {rng.choice(COMPANY_EXTRAS).format(year=rng.randint(max(year + 1, 2019), 2025))}"
        return first

    def register(self, producer: Producer) -> Producer:
        rng = self.rng
        producer.tax_code = self.unique("tax", lambda: tax_code(rng))
        producer.phone = self.unique("phone", lambda: rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**7):07d}")
        stem = slugify(producer.brand).replace("-", "")[:20] or "ocop"
        suffixes = ("", ".qn", ".ocop", str(rng.randint(1, 99)))
        producer.email = self.unique("email", lambda: f"{stem}{rng.choice(suffixes)}@example.com")
        producer.address = address(rng, producer.place, LOCALITIES[producer.locality][0])
        self.used["producer"].add(producer.name)
        self.used["brand"].add(producer.brand)
        self.producers.append(producer)
        return producer

    def unique(self, kind: str, make) -> str:
        value = make()
        while value in self.used[kind]:
            value = make()
        self.used[kind].add(value)
        return value

    def add_product(self, product: Product) -> None:
        self.names.add(product.name)
        self.products.append(product)

    # -- stars and certificates --------------------------------------------------------------
    def rate_sample_products(self) -> None:
        """Give 4★ to the share the targets leave, premium lines first more often."""
        sample = [p for p in self.products if p.sample]
        real_fours = sum(1 for p in self.products if not p.sample and p.stars == 4)
        fours = STAR_TARGETS[4] - real_fours
        ranked = sorted(sample, key=lambda p: self.rng.random() ** (1 / (3 if p.premium else 1)), reverse=True)
        for index, product in enumerate(ranked):
            product.stars = 4 if index < fours else 3

    def certify(self) -> None:
        """Current certificates for every product, and older expired ones for about 30 of them."""
        rng = self.rng
        province_days = sorted({weekday(rng, GENERAL_FROM, GENERAL_TO) for _ in range(40)})
        after_reform = [d for d in province_days if d >= REFORM_DAY]
        district_days = {
            loc: [weekday(rng, GENERAL_FROM, REFORM_DAY - timedelta(days=1)) for _ in range(5)] for loc in LOCALITIES
        }
        early_days = [date(2023, 12, 22), date(2023, 12, 26), date(2024, 1, 5), date(2024, 1, 9), date(2024, 1, 12)]
        renewals: dict[tuple[str, str], tuple[list[date], date]] = {}
        for product in (p for p in self.products if not p.sample):
            decided = re.search(r"(\d+/QĐ-[\w-]+) (\d\d)/(\d\d)/(\d{4})", product.note)
            certified = re.search(r"certified (\d{4})", product.note)
            if decided:
                number, dd, mm, yyyy = decided.groups()
                self.set_current(product, date(int(yyyy), int(mm), int(dd)), number)
            elif certified:
                key = (product.producer.slug, certified.group(1))
                if key not in renewals:
                    renewals[key] = renewal_chain(rng, int(certified.group(1)))
                older, current = renewals[key]
                for day in older:
                    self.add_history(product, product.stars, day)
                self.set_current(product, current)
            elif re.search(r"\b2023\b", product.note):
                self.set_current(product, early_days[1])
            elif product.stars == 4:
                self.set_current(product, rng.choice(province_days))
            else:
                self.set_current(product, self.three_star_day(product, after_reform, district_days))
        sample = [p for p in self.products if p.sample]
        early_left = EARLY_CERTIFICATES - sum(1 for p in self.products if p.issued_on and p.issued_on <= EARLY_TO)
        early = set(map(id, rng.sample(sample, early_left)))
        for product in sample:
            if id(product) in early:
                self.set_current(product, rng.choice(early_days))
            elif product.stars == 4:
                self.set_current(product, rng.choice(province_days))
            else:
                self.set_current(product, self.three_star_day(product, after_reform, district_days))
        with_history = {id(p) for p, *_ in self.history}
        candidates = [p for p in sample if id(p) not in early]
        for product in rng.sample(candidates, PRODUCTS_WITH_HISTORY - len(with_history)):
            older = add_months(product.issued_on, -rng.randint(VALIDITY_MONTHS, 50)) - timedelta(
                days=rng.randint(0, 25)
            )
            stars = rng.choice((3, 4)) if product.stars == 4 else product.stars
            self.add_history(product, stars, older)

    def three_star_day(self, product: Product, after_reform: list[date], district_days: dict) -> date:
        if self.rng.random() < 0.45:
            return self.rng.choice(after_reform)
        return self.rng.choice(district_days[product.locality])

    def set_current(self, product: Product, day: date, number: str | None = None) -> None:
        product.issued_on, product.issuing_level = day, issuing_level(product.stars, day)
        product.certificate_no = self.decision(product.issuing_level, product.locality, day, number)

    def add_history(self, product: Product, stars: int, day: date) -> None:
        level = issuing_level(stars, day)
        self.history.append((product, stars, self.decision(level, product.locality, day), level, day))

    def decision(self, level: str, locality: str, day: date, number: str | None = None) -> str:
        """The decision number of one body on one day: products certified together share it."""
        key = (level, locality if level == "district" else "", day)
        if key not in self.decisions:
            suffix = "QĐ-BNN-VPĐP" if level == "central" else "QĐ-UBND"
            per_day = {"central": 10, "province": 12, "district": 7}[level]
            while number is None or (day.year, number) in self.decision_numbers:
                serial = day.timetuple().tm_yday * per_day + self.rng.randint(1, per_day)
                number = f"{serial}/{suffix}"
            self.decision_numbers.add((day.year, number))
            self.decisions[key] = number
        return self.decisions[key]

    def stock_and_skus(self) -> None:
        """Stock levels (a few sold out) and SKUs counted per locality, real products first."""
        sample = [p for p in self.products if p.sample]  # the real products stay in stock for demos
        zero = set(map(id, self.rng.sample(sample, ZERO_STOCK)))
        for product in self.products:
            product.stock = 0 if id(product) in zero else int(self.rng.triangular(1, 300, 40))
        order = {code: i for i, code in enumerate(LOCALITIES)}
        self.products.sort(key=lambda p: (order[p.locality], p.sample))
        counters = dict.fromkeys(LOCALITIES, 0)
        for product in self.products:
            counters[product.locality] += 1
            product.sku = f"QN-{LOCALITIES[product.locality][1]}-{counters[product.locality]:04d}"


# -- helpers -------------------------------------------------------------------------------
LOCALITY_BY_NAME = {name: code for code, (name, _, _) in LOCALITIES.items()}
TEMPLATE_BY_KEY = {t.key: t for t in TEMPLATES}


def is_unnamed(producer: str) -> bool:
    """True when the known CSV describes a producer instead of naming it."""
    return not producer or "not stated" in producer or producer[0].islower()


def legal_form_of(name: str) -> str:
    folded = name.casefold()
    if folded.startswith("công ty"):
        return "company"
    if folded.startswith(("htx", "hợp tác xã")):
        return "cooperative"
    if folded.startswith(("hộ kinh doanh", "cơ sở")):
        return "household"
    raise ValueError(f"unknown legal form: {name}")


def compose(base: str, label: str) -> str:
    return f"{base} {label}" if base else label


def with_brand(name: str, brand: str) -> str:
    """Put the producer's brand before the pack size: `Chả mực Hạ Long Bà Hoa (hộp 500 g)`."""
    if brand in name:
        return name  # "Mật ong Cộng Hòa Cộng Hòa" helps no one: the caller skips the variant
    cut = name.find(" (")
    return f"{name[:cut]} {brand}{name[cut:]}" if cut >= 0 else f"{name} {brand}"


def price(rng: Random, low: int, high: int) -> int:
    """A price in VND between `low` and `high` thousand, rounded like a shop would."""
    step = 10 if high >= 1000 else 5 if high >= 100 else 1
    return int(round(rng.uniform(low, high) / step) * step) * 1000


def tax_code(rng: Random) -> str:
    """A 10-digit Quảng Ninh (57…) tax code with a consistent check digit."""
    while True:
        body = "57" + f"{rng.randrange(10**7):07d}"
        check = 10 - sum(int(d) * w for d, w in zip(body, TAX_WEIGHTS, strict=True)) % 11
        if check < 10:
            return f"{body}{check}"


def address(rng: Random, place: str, locality_name: str) -> str:
    if place.startswith("phường"):
        head = f"Số {rng.randint(2, 260)} đường {rng.choice(STREETS)}, tổ {rng.randint(1, 12)}, khu {rng.randint(1, 9)}"
    elif place.startswith("thị trấn"):
        head = f"Khu {rng.randint(1, 8)}"
    else:
        head = f"Thôn {rng.randint(1, 12)}"
    return f"{head}, {place}, {locality_name}, Quảng Ninh"


def weekday(rng: Random, start: date, end: date) -> date:
    while True:
        day = start + timedelta(days=rng.randint(0, (end - start).days))
        if day.weekday() < 5 and (day.month, day.day) not in HOLIDAYS:
            return day


def renewal_chain(rng: Random, year: int) -> tuple[list[date], date]:
    """A certificate issued in `year`, renewed every 36 months (or a little later) until one is current."""
    renewals = max(1, -(-(GENERAL_FROM.year - year) // 3))
    latest = add_months(GENERAL_TO, -VALIDITY_MONTHS * renewals) - timedelta(days=40 * renewals)
    chain = [weekday(rng, date(year, 3, 1), min(date(year, 11, 30), latest))]
    for _ in range(renewals):
        chain.append(add_months(chain[-1], VALIDITY_MONTHS) + timedelta(days=rng.randint(3, 40)))
    return chain[:-1], max(chain[-1], GENERAL_FROM + timedelta(days=rng.randint(0, 30)))


def share(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Split `total` in proportion to `weights` (largest remainder)."""
    whole = sum(weights.values())
    exact = {k: total * w / whole for k, w in weights.items()}
    counts = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[: total - sum(counts.values())]:
        counts[k] += 1
    return counts


def read_known(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [{k: nfc(v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    """UTF-8, NFC, header row, csv-module quoting, Unix line ends."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows({key: nfc(str(value)) for key, value in row.items()} for row in rows)


def check(catalogue: Catalogue) -> None:
    """Fail loudly if the generated catalogue breaks the seed's promises."""
    products, producers = catalogue.products, catalogue.producers
    stars = {s: sum(1 for p in products if p.stars == s) for s in STAR_TARGETS}
    assert len(products) == TOTAL_PRODUCTS and stars == STAR_TARGETS, stars
    assert len({p.sku for p in products}) == len(products)
    assert len({p.slug for p in producers}) == len(producers) == len({p.tax_code for p in producers})
    assert {p.producer.slug for p in products} == {p.slug for p in producers}
    assert all(sum(1 for p in products if p.locality == loc) >= 8 for loc in LOCALITIES)
    assert all(EARLY_FROM <= p.issued_on <= GENERAL_TO for p in products)
    assert sum(1 for p in products if p.issued_on <= EARLY_TO) == EARLY_CERTIFICATES
    assert all(add_months(p.issued_on, VALIDITY_MONTHS) > REFERENCE_DAY for p in products)
    for product, _, _, _, day in catalogue.history:
        assert add_months(day, VALIDITY_MONTHS) <= min(product.issued_on, REFERENCE_DAY)
    per_producer = [(p.producer.slug, p.name) for p in products]
    assert len(set(per_producer)) == len(per_producer)
    for name in ("Miến dong Bình Liêu", "Trà hoa vàng Ba Chẽ", "Nước mắm Vân Đồn"):
        assert any(p.name == name and not p.sample for p in products), name


def main(argv: list[str]) -> None:
    known = Path(argv[1]) if len(argv) > 1 else DEFAULT_KNOWN
    catalogue = Catalogue(read_known(known))
    catalogue.add_real_products()
    catalogue.add_sample_products()
    catalogue.rate_sample_products()
    catalogue.certify()
    catalogue.stock_and_skus()
    check(catalogue)
    write_csv(SEED_DIR / "producers.csv", PRODUCER_COLUMNS, [p.row() for p in catalogue.producers])
    write_csv(SEED_DIR / "products.csv", PRODUCT_COLUMNS, [p.row() for p in catalogue.products])
    history = sorted(catalogue.history, key=lambda h: (h[0].sku, h[4]))
    write_csv(
        SEED_DIR / "certificate_history.csv",
        HISTORY_COLUMNS,
        [
            dict(zip(HISTORY_COLUMNS, (p.sku, stars, no, level, day.isoformat()), strict=True))
            for p, stars, no, level, day in history
        ],
    )
    print(
        f"{len(catalogue.producers)} producers, {len(catalogue.products)} products, "
        f"{len(history)} older certificates written to {SEED_DIR}"
    )


if __name__ == "__main__":
    main(sys.argv)
