"""The GS1-Conformant resolver standard 1.2, criterion by criterion, as gs1/GS1DL-resolver-testsuite checks it.

The public test suite asks with curl (`Accept: */*`, redirects not followed, an Origin header): each test below
mirrors one of its checks (named in brackets) against our resolver, plus the decompression of compressed URIs
against GS1's published examples and URIs compressed by GS1's reference toolkit.
"""

from __future__ import annotations

import pytest

from catalogue.extensions import db
from catalogue.traceability.dl_compression import NotCompressed, decompress
from tests.access_helpers import cast
from tests.traceability.traceability_helpers import a_lot, browser, flushed_scans

BASE = "http://shop.test"
DL = "/01/08935049500018/10/L2611-01"
CURL = {"Accept": "*/*", "Origin": "https://ref.gs1.org"}
LINKSET = "application/linkset+json"


@pytest.fixture
def world(app):
    made = cast()
    made["product"].gtin = "8935049500018"
    db.session.commit()
    made["lot"] = a_lot(made["product"])
    return made


def _get(app, path, **headers):
    return app.test_client().get(path, headers={**CURL, **headers})


def _links(response) -> list[str]:
    return [part.strip() for part in response.headers.get("Link", "").split(", <")]


def test_get_head_and_options_with_cors(app, world):  # [corsCheck, methodsCheck]
    client = app.test_client()
    for method in ("GET", "HEAD", "OPTIONS"):
        answer = client.open(DL, method=method, headers={**CURL, "Access-Control-Request-Method": "GET"})
        assert answer.status_code in (200, 307), method
        assert answer.headers["Access-Control-Allow-Origin"] == "*", method
        allowed = answer.headers["Access-Control-Allow-Methods"]
        assert all(verb in allowed for verb in ("GET", "HEAD", "OPTIONS")), method
        assert "Link" in answer.headers["Access-Control-Expose-Headers"]
    assert client.head(DL, headers=CURL).data == b""


def test_the_default_is_a_307_to_the_default_link_with_a_link_to_the_linkset(app, world):  # [defaultTarget]
    answer = _get(app, DL)
    linkset = _get(app, DL, Accept=LINKSET).get_json()["linkset"][0]

    assert answer.status_code == 307
    assert answer.headers["Location"] == linkset["https://gs1.org/voc/defaultLink"][0]["href"]
    assert f'<{BASE}{DL}?linkType=linkset>; rel="linkset"' in answer.headers["Link"]
    assert 'rel="gs1:' not in answer.headers["Link"]  # [legacyLinkHeaders]: only the linkset, not every link
    assert "Accept" in answer.headers["Vary"]
    assert flushed_scans(world["lot"].id) == 0  # a machine's redirect is no scan


def test_a_browser_still_reads_the_origin_page_at_the_stamp(app, world):
    page = browser(app).get(DL)

    assert page.status_code == 200 and "L2611-01" in page.get_data(as_text=True)
    assert f'<{BASE}{DL}?linkType=linkset>; rel="linkset"' in page.headers["Link"]
    assert flushed_scans(world["lot"].id) == 1
    # The default link's own page is the same page, and opening it there is no stamp scan.
    target = browser(app, address="198.51.100.1").get(f"/nguon-goc/{world['lot'].code}")
    assert target.status_code == 200 and "L2611-01" in target.get_data(as_text=True)
    assert flushed_scans(world["lot"].id) == 1


@pytest.mark.parametrize("suffix", ["/foo", "/10/L1/21", "/99/x"])
def test_a_malformed_uri_is_a_400_never_a_200(app, world, suffix):  # [reportWith400, noErrorWith200]
    assert _get(app, DL + suffix).status_code == 400
    assert browser(app).get(DL + suffix).status_code == 400


def test_a_bad_check_digit_is_malformed_not_unknown(app, world):
    assert _get(app, "/01/08935049500019/10/L2611-01").status_code == 400
    assert _get(app, "/01/08935049500025/10/L2611-01").status_code == 404  # well formed, not ours


def test_a_trailing_slash_answers_alike(app, world):  # [trailingSlash]
    for path in (DL, "/01/08935049500018", f"/t/{world['lot'].code}"):
        plain, slashed = _get(app, path), _get(app, path + "/")
        assert plain.status_code == slashed.status_code
        assert plain.headers.get("Location") == slashed.headers.get("Location")
        assert plain.status_code == 307


def test_the_query_string_is_passed_on(app, world):  # [qsPassedOn]
    assert _get(app, DL + "?foo=bar").headers["Location"].endswith(f"/nguon-goc/{world['lot'].code}?foo=bar")
    pip = _get(app, DL + "?linkType=gs1:pip&utm_source=qr")
    assert pip.headers["Location"] == f"{BASE}/products/{world['product'].slug}?utm_source=qr"


def test_the_linkset_by_linktype_or_accept(app, world):  # [ltLinksetNoRedirect, ltAllNoRedirect, ltAcceptHeader]
    by_param = _get(app, DL + "?linkType=linkset")
    by_old_param = _get(app, DL + "?linkType=all")
    by_accept = _get(app, DL, Accept=LINKSET)

    for answer in (by_param, by_old_param, by_accept):
        assert answer.status_code == 200 and answer.mimetype == LINKSET  # [declaredContentType]
        assert answer.get_json() == by_param.get_json()
    context = 'rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
    assert context in by_accept.headers["Link"]  # [linksetJsonldCheck]


def test_the_linkset_walks_up_to_the_primary_key_and_every_link_is_complete(app, world):  # [validLinkset]
    lot_level, product_level = _get(app, DL, Accept=LINKSET).get_json()["linkset"]

    assert lot_level["anchor"] == f"{BASE}{DL}" and product_level["anchor"] == f"{BASE}/01/08935049500018"
    for level in (lot_level, product_level):
        assert len(level["https://gs1.org/voc/defaultLink"]) == 1  # [singleDefaulLink]
        assert set(level["https://gs1.org/voc/defaultLink"][0]) == {"href", "title"}  # a title and nothing else
        for rel, targets in level.items():
            if rel == "anchor":
                continue
            assert rel.startswith("https://gs1.org/voc/"), rel  # [linkTypesDefined]
            assert all(target["href"].startswith(BASE) and target["title"] for target in targets), rel
            if rel != "https://gs1.org/voc/defaultLink":
                assert all(target["type"] == "text/html" for target in targets), rel
    assert "https://gs1.org/voc/certificationInfo" in lot_level  # the product holds an OCOP rating


@pytest.mark.parametrize("spelling", ["gs1:pip", "https://gs1.org/voc/pip", "pip", "https://ref.gs1.org/voc/pip"])
def test_every_link_type_redirects_to_its_link(app, world, spelling):  # [loFor…]
    links = _get(app, DL, Accept=LINKSET).get_json()["linkset"][0]
    for rel, targets in links.items():
        if rel != "anchor":
            name = rel.removeprefix("https://gs1.org/voc/")
            assert _get(app, f"{DL}?linkType=gs1:{name}").headers["Location"] == targets[0]["href"], name
    assert _get(app, f"{DL}?linkType={spelling}").headers["Location"] == f"{BASE}/products/{world['product'].slug}"


def test_a_link_type_the_item_lacks_is_a_404(app, world):  # [specificLinkTypeNotFound]
    assert _get(app, DL + "?linkType=gs1:nosuchlt").status_code == 404
    assert _get(app, DL + "?linkType=schema:nosuch").status_code == 404
    assert browser(app).get(DL + "?linkType=gs1:recipeInfo").status_code == 404


def test_the_resolver_description_file(app, world):  # [rdFile]
    described = _get(app, "/.well-known/gs1resolver", Accept="application/json")

    assert described.status_code == 200 and described.headers["Access-Control-Allow-Origin"] == "*"
    body = described.get_json()
    assert body["resolverRoot"] == BASE and body["supportedPrimaryKeys"] == ["01"] and body["name"]


# --- Compression: GS1 Digital Link: Compression ----------------------------------------------------


@pytest.mark.parametrize(
    ("segment", "ais", "others"),
    [
        ("ARHKVAdpQg", {"01": "09780345418913"}, {}),  # GS1's published example
        ("AREjalurbiAUO-cgohCz45Z67b8A", {"01": "09421902960055", "10": "2010005828", "21": "xyz1234"}, {}),
        # compressed by GS1's reference toolkit (GS1DigitalLinkToolkit.js), with and without optimisation codes
        ("ARBAtOcq5CDQXt1rr9pq", {"01": "08935049500018", "10": "L2611-01"}, {}),
        ("CxBAtOcq5NBe3Wuv2mo", {"01": "08935049500018", "10": "L2611-01"}, {}),
        ("ChBAtOcq5MSuohDwYUNMxZMyEFGBy", {"01": "08935049500018", "22": "V1", "10": "ABC&123", "21": "12345"}, {}),
        ("CxBAtOcq5MReouf43-DfooYNtqs", {"01": "08935049500018", "10": "L1", "17": "261231"}, {"foo": "bar"}),
    ],
)
def test_decompresses_the_published_examples(segment, ais, others):
    found = decompress(segment)
    assert (found.ais, found.others) == (ais, others)


@pytest.mark.parametrize("segment", ["gio-hang-nhe", "AAAAAAAAAAAA", "ARHKVAdp", "ARHKVAdpQg!"])
def test_what_is_not_a_compressed_link_is_refused(segment):
    with pytest.raises(NotCompressed):
        decompress(segment)


def test_a_compressed_uri_answers_as_the_uncompressed_one_with_owl_same_as(app, world):  # [validDecompressCheck]
    plain = _get(app, DL)
    for compressed in ("/ARBAtOcq5CDQXt1rr9pq", "/CxBAtOcq5NBe3Wuv2mo"):
        answer = _get(app, compressed)
        assert (answer.status_code, answer.headers["Location"]) == (plain.status_code, plain.headers["Location"])
        assert f'<{BASE}{DL}>; rel="owl:sameAs"' in answer.headers["Link"]  # [exposeDecompressedLink]
        linkset = _get(app, compressed, Accept=LINKSET).get_json()["linkset"][0]
        assert linkset["anchor"] == f"{BASE}{DL}"  # the subject is the uncompressed URI
    assert browser(app).get("/CxBAtOcq5NBe3Wuv2mo").status_code == 200
    assert _get(app, "/ARBAtOcq5A").headers["Location"] == f"{BASE}/products/{world['product'].slug}"


def test_a_root_path_that_is_no_compressed_link_is_the_shops_own_404(app, world):
    assert browser(app).get("/khong-co-trang-nay").status_code == 404
    assert browser(app).get("/gioi-thieu").status_code == 200  # the shop's own pages win over the resolver
