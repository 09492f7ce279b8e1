"""Producers, categories and localities, with the number of products on sale."""


def test_localities_are_the_thirteen_with_product_counts(client):
    body = client.get("/api/v1/localities").get_json()

    assert body["total"] == 13
    codes = [item["code"] for item in body["items"]]
    assert codes[:5] == ["ha-long", "cam-pha", "uong-bi", "mong-cai", "dong-trieu"]
    assert all(item["product_count"] >= 8 for item in body["items"])
    assert sum(item["product_count"] for item in body["items"]) == client.get("/api/v1/products").get_json()["total"]


def test_categories_carry_their_ocop_group(client):
    body = client.get("/api/v1/categories").get_json()

    groups = {item["group"]["code"] for item in body["items"]}
    assert groups == {"thuc-pham", "do-uong", "duoc-lieu", "thu-cong-my-nghe", "sinh-vat-canh", "du-lich"}
    tea = next(item for item in body["items"] if item["code"] == "che")
    assert tea["group"]["name"] == "Thực phẩm"
    assert tea["product_count"] == client.get("/api/v1/products?category=che").get_json()["total"]


def test_producers_list_and_detail(client):
    body = client.get("/api/v1/producers?per_page=100").get_json()

    assert body["total"] >= 100
    assert len(body["items"]) == 100
    producer = body["items"][0]
    assert {"id", "slug", "name", "legal_form", "locality", "product_count"} <= set(producer)
    by_slug = client.get(f"/api/v1/producers/{producer['slug']}").get_json()
    by_id = client.get(f"/api/v1/producers/{producer['id']}").get_json()
    assert by_slug == by_id == producer
    assert producer["product_count"] == client.get(f"/api/v1/products?producer={producer['slug']}").get_json()["total"]


def test_producers_filter_by_locality(client):
    body = client.get("/api/v1/producers?locality=ba-che&per_page=100").get_json()

    assert body["items"]
    assert {item["locality"]["code"] for item in body["items"]} == {"ba-che"}


def test_known_real_producer_is_there_with_its_products(client):
    akoya = client.get("/api/v1/products?q=ngoc+trai+akoya").get_json()["items"][0]
    assert akoya["producer"]["name"] == "Công ty CP Ngọc trai Hạ Long"

    producer = client.get(f"/api/v1/producers/{akoya['producer']['slug']}").get_json()

    assert producer["legal_form"] == "company"
    assert producer["locality"] == {"code": "ha-long", "name": "Hạ Long"}
    assert producer["product_count"] >= 3
