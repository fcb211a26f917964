"""Parameters in every OpenAPI style, `content`-encoded parameters, cookies, and credentials
wherever a security scheme puts them: each value read the way its style writes it, each
difference an exact finding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.contract import Contract, Exchange, Request
from tests.conftest import ROOT, CliRunner

DATA = ROOT / "tests" / "contract" / "data"
ITEMS = "/paths/~1items~1{label}~1{matrix}~1{simple}/get"
GOOD_COOKIE = "token=t; session=abcdefgh"


@pytest.fixture(scope="module")
def styles() -> Contract:
    return Contract.load(DATA / "styles-3.1.yaml")


def findings(
    contract: Contract, url: str, cookie: str | None = GOOD_COOKIE, **headers: str
) -> list[tuple[str, str, str, object, str]]:
    sent = tuple(headers.items()) + ((("Cookie", cookie),) if cookie is not None else ())
    result = contract.check(Exchange(0, Request(method="GET", url=url, headers=sent)))
    assert result.operation is not None, result.findings
    return [
        (f.part.value, f.pointer, f.kind.value, f.actual, f.schema_pointer.removeprefix("#"))
        for f in result.findings
    ]


def test_every_style_read_as_written(styles: Contract) -> None:
    url = (
        "https://us.example.com/v2/items/.1,2,3/;x=1;y=2/5"
        "?pipes=1|2&spaces=ab%20cd&filter[min]=1&filter[max]=9&where=%7B%22a%22%3A1%7D"
    )
    assert findings(styles, url, **{"X-Ids": "4, 5"}) == []
    # the spec's default server, and a request recorded without the server's prefix
    assert findings(styles, "/v2/items/.7/;x=1/5") == []
    assert findings(styles, "/items/.7/;x=1/5") == []


def test_label_and_matrix_values_are_taken_apart(styles: Contract) -> None:
    assert findings(styles, "/v2/items/1,2/;x=1/5") == [
        ("path", "/label", "bad_format", "1,2", f"{ITEMS}/parameters/0/style")
    ]
    assert findings(styles, "/v2/items/.1,a/x=1/0") == [
        ("path", "/label/1", "wrong_type", "string", f"{ITEMS}/parameters/0/schema/items/type"),
        ("path", "/matrix", "bad_format", "x=1", f"{ITEMS}/parameters/1/style"),
        ("path", "/simple", "out_of_range", 0, f"{ITEMS}/parameters/2/schema/minimum"),
    ]
    # an exploded matrix object: each property its own `;name=value`
    assert findings(styles, "/v2/items/.1/;x=1;y=b/5") == [
        ("path", "/matrix/y", "wrong_type", "string",
         f"{ITEMS}/parameters/1/schema/properties/y/type"),
    ]  # fmt: skip
    matrix = Contract.load(DATA / "styles-3.1.yaml")
    assert findings(matrix, "/v2/matrix/;id=1,2,3") == []
    assert findings(matrix, "/v2/matrix/;id=1,x") == [
        ("path", "/id/1", "wrong_type", "string",
         "/paths/~1matrix~1{id}/get/parameters/0/schema/items/type"),
    ]  # fmt: skip
    assert findings(matrix, "/v2/matrix/;other=1")[0][:3] == ("path", "/id", "bad_format")
    # an exploded label array: `.1.2.3`
    basic = {"Authorization": "Basic dTpw"}
    assert findings(matrix, "/v2/labelled/.1.2.3", **basic) == []
    assert findings(matrix, "/v2/labelled/.1.x", **basic) == [
        ("path", "/id/1", "wrong_type", "string",
         "/paths/~1labelled~1{id}/get/parameters/0/schema/items/type"),
    ]  # fmt: skip


def test_delimited_deep_object_and_content_parameters(styles: Contract) -> None:
    url = (
        "/v2/items/.1/;x=1/5?pipes=1|2|x&spaces=ab%20cde&filter[min]=1&filter[max]=x"
        "&filter[other]=3&where=%7B%22a%22%3A%22s%22%7D"
    )
    assert findings(styles, url) == [
        ("query", "/pipes/2", "wrong_type", "string", f"{ITEMS}/parameters/3/schema/items/type"),
        ("query", "/spaces/1", "out_of_range", "cde",
         f"{ITEMS}/parameters/4/schema/items/maxLength"),
        ("query", "/filter/max", "wrong_type", "string",
         f"{ITEMS}/parameters/5/schema/properties/max/type"),
        ("query", "/filter/other", "unexpected_property", "3",
         f"{ITEMS}/parameters/5/schema/additionalProperties"),
        ("query", "/where/a", "wrong_type", "string",
         f"{ITEMS}/parameters/6/content/application~1json/schema/properties/a/type"),
    ]  # fmt: skip
    # pipes are not commas: `1,2` is one item, and not an integer
    assert findings(styles, "/v2/items/.1/;x=1/5?pipes=1,2") == [
        ("query", "/pipes/0", "wrong_type", "string", f"{ITEMS}/parameters/3/schema/items/type")
    ]
    assert findings(styles, "/v2/items/.1/;x=1/5?where=%7Bnope") == [
        ("query", "/where", "invalid_json", "{nope", f"{ITEMS}/parameters/6/content")
    ]
    # a form object that is not exploded: name,value pairs
    basic = {"Authorization": "Basic dTpw"}
    assert findings(styles, "/v2/labelled/.1?point=x,5", **basic) == []
    assert findings(styles, "/v2/labelled/.1?point=x,five", **basic) == [
        ("query", "/point/x", "wrong_type", "string",
         "/paths/~1labelled~1{id}/get/parameters/1/schema/properties/x/type"),
    ]  # fmt: skip


def test_headers_are_comma_separated_lists(styles: Contract) -> None:
    assert findings(styles, "/v2/items/.1/;x=1/5", **{"X-Ids": "1,two"}) == [
        ("header", "/X-Ids/1", "wrong_type", "string", f"{ITEMS}/parameters/9/schema/items/type")
    ]


def test_cookie_parameters_and_credentials(styles: Contract) -> None:
    assert findings(styles, "/v2/items/.1/;x=1/5", cookie="session=abc; tags=1,x") == [
        ("cookie", "/session", "out_of_range", "abc", f"{ITEMS}/parameters/7/schema/minLength"),
        ("cookie", "/tags/1", "wrong_type", "string", f"{ITEMS}/parameters/8/schema/items/type"),
        ("cookie", "/token", "missing_parameter", None, f"{ITEMS}/security"),
    ]
    assert findings(styles, "/v2/items/.1/;x=1/5", cookie=None) == [
        ("cookie", "/session", "missing_parameter", None, f"{ITEMS}/parameters/7"),
        ("cookie", "/token", "missing_parameter", None, f"{ITEMS}/security"),
    ]


def test_http_schemes_are_checked_by_name(styles: Contract) -> None:
    url = "/v2/labelled/.1"
    assert findings(styles, url, Authorization="Basic dTpw") == []
    wrong = findings(styles, url, Authorization="Bearer abc")
    security = "/paths/~1labelled~1{id}/get/security"
    assert wrong == [("header", "/Authorization", "missing_parameter", None, security)]
    assert findings(styles, url) == wrong


def test_styles_through_the_cli(cli: CliRunner, tmp_path: Path) -> None:
    traffic = tmp_path / "traffic.jsonl"
    lines = [
        {"request": {"method": "GET", "url": "/v2/items/.1,2/;x=1/5?pipes=3|4",
                     "headers": {"Cookie": GOOD_COOKIE}}},
        {"request": {"method": "GET", "url": "/v2/items/.1/;x=1/5?filter[max]=x",
                     "headers": {"Cookie": "session=abcdefgh"}}},
    ]  # fmt: skip
    traffic.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = cli("check", DATA / "styles-3.1.yaml", traffic, "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert [(f["exchange"], f["part"], f["pointer"], f["kind"]) for f in report["findings"]] == [
        (1, "query", "/filter/max", "wrong_type"),
        (1, "cookie", "/token", "missing_parameter"),
    ]
