"""Parameter serialization per OpenAPI style and explode, client and server runtime.

Three layers, all against the OpenAPI style examples table (the `color` parameter as the
string "blue", the array ["blue", "black", "brown"] and the object {R: 100, G: 200, B: 150}):
- the client serializers produce the table's literal strings;
- the server parsers read the table's literal strings back;
- every row goes from the client runtime over real HTTP (uvicorn on 127.0.0.1) to a FastAPI
  app built by the server runtime, the wire holds the table's string and the handler gets a
  value equal to the original; random values per style (hypothesis) do the same.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.runtime.conftest import Harness, Runtimes, build_spec, client_class, operation

STRING = "blue"
ARRAY = ["blue", "black", "brown"]
OBJECT = {"R": 100, "G": 200, "B": 150}
VALUES: dict[str, Any] = {"string": STRING, "array": ARRAY, "object": OBJECT}
TYPES: dict[str, Any] = {"string": str, "array": list[str], "object": dict[str, int]}
KINDS = {"string": "primitive", "array": "array", "object": "object"}

# (style, explode) -> {column: literal}. OpenAPI 3.1.2's table; the `cookie` rows are 3.2's.
# Columns marked n/a in the table are left out.
TABLE: dict[tuple[str, bool], dict[str, str]] = {
    ("matrix", False): {
        "string": ";color=blue",
        "array": ";color=blue,black,brown",
        "object": ";color=R,100,G,200,B,150",
    },
    ("matrix", True): {
        "string": ";color=blue",
        "array": ";color=blue;color=black;color=brown",
        "object": ";R=100;G=200;B=150",
    },
    ("label", False): {
        "string": ".blue",
        "array": ".blue,black,brown",
        "object": ".R,100,G,200,B,150",
    },
    ("label", True): {
        "string": ".blue",
        "array": ".blue.black.brown",
        "object": ".R=100.G=200.B=150",
    },
    ("simple", False): {
        "string": "blue",
        "array": "blue,black,brown",
        "object": "R,100,G,200,B,150",
    },
    ("simple", True): {
        "string": "blue",
        "array": "blue,black,brown",
        "object": "R=100,G=200,B=150",
    },
    ("form", False): {
        "string": "color=blue",
        "array": "color=blue,black,brown",
        "object": "color=R,100,G,200,B,150",
    },
    ("form", True): {
        "string": "color=blue",
        "array": "color=blue&color=black&color=brown",
        "object": "R=100&G=200&B=150",
    },
    ("spaceDelimited", False): {
        "array": "color=blue%20black%20brown",
        "object": "color=R%20100%20G%20200%20B%20150",
    },
    ("pipeDelimited", False): {
        "array": "color=blue%7Cblack%7Cbrown",
        "object": "color=R%7C100%7CG%7C200%7CB%7C150",
    },
    ("deepObject", True): {
        "object": "color%5BR%5D=100&color%5BG%5D=200&color%5BB%5D=150",
    },
    ("cookie", False): {
        "string": "color=blue",
        "array": "color=blue,black,brown",
        "object": "color=R,100,G,200,B,150",
    },
    ("cookie", True): {
        "string": "color=blue",
        "array": "color=blue; color=black; color=brown",
        "object": "R=100; G=200; B=150",
    },
}
LOCATIONS = {
    "matrix": ("path",),
    "label": ("path",),
    "simple": ("path", "header"),
    "form": ("query", "cookie"),
    "spaceDelimited": ("query",),
    "pipeDelimited": ("query",),
    "deepObject": ("query",),
    "cookie": ("cookie",),
}
ROWS = [
    (location, style, explode, column)
    for (style, explode), columns in TABLE.items()
    for location in LOCATIONS[style]
    for column in columns
]


def row_id(row: tuple[str, str, bool, str]) -> str:
    location, style, explode, column = row
    return f"{location}-{style}-{'explode' if explode else 'flat'}-{column}"


def expected_wire(location: str, style: str, explode: bool, column: str) -> str:
    """The table's literal as it appears for `location` (a form cookie joins with `; `)."""
    literal = TABLE[(style, explode)][column]
    if location == "cookie" and style == "form":
        return literal.replace("&", "; ")
    return literal


# --------------------------------------------------------------------------------------------
# Client serializers against the table's literals
# --------------------------------------------------------------------------------------------


def serialize(rt: Any, location: str, style: str, explode: bool, value: object) -> str:
    if location == "path":
        return rt.serialize_path_param("color", value, style=style, explode=explode)
    if location == "query":
        pairs = rt.serialize_query_param("color", value, style=style, explode=explode)
        return "&".join(f"{k}={v}" for k, v in pairs)
    if location == "header":
        return rt.serialize_header_param("color", value, style=style, explode=explode)
    return "; ".join(rt.serialize_cookie_param("color", value, style=style, explode=explode))


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_client_writes_the_table(runtimes: Runtimes, row: tuple[str, str, bool, str]) -> None:
    location, style, explode, column = row
    written = serialize(runtimes.client, location, style, explode, VALUES[column])
    assert written == expected_wire(location, style, explode, column)


def test_defaults_follow_the_location(runtimes: Runtimes) -> None:
    rt = runtimes.client
    assert [rt.default_style(loc) for loc in ("path", "query", "header", "cookie")] == [
        "simple",
        "form",
        "simple",
        "form",
    ]
    assert rt.default_explode("form") and rt.default_explode("cookie")
    assert not any(rt.default_explode(s) for s in ("simple", "label", "matrix", "deepObject"))
    path, query, headers, cookies = rt.serialize_parameters(
        [
            rt.Parameter("id", "path", ARRAY),
            rt.Parameter("color", "query", ARRAY),
            rt.Parameter("X-Color", "header", OBJECT),
            rt.Parameter("color", "cookie", ARRAY),
        ]
    )
    assert path == {"id": "blue,black,brown"}
    assert query == [("color", "blue"), ("color", "black"), ("color", "brown")]
    assert headers == [("X-Color", "R,100,G,200,B,150")]
    assert cookies == ["color=blue", "color=black", "color=brown"]


def test_undefined_and_empty_values(runtimes: Runtimes) -> None:
    """The table's `undefined` column for an empty array; None is not sent at all."""
    rt = runtimes.client
    assert rt.serialize_path_param("color", [], style="matrix") == ";color"
    assert rt.serialize_path_param("color", [], style="label") == "."
    assert rt.serialize_path_param("color", "", style="matrix") == ";color"
    assert rt.serialize_query_param("color", []) == [("color", "")]
    assert rt.serialize_query_param("color", [], explode=False) == [("color", "")]
    assert rt.serialize_query_param("color", None) == []
    assert rt.serialize_header_param("color", None) is None
    assert rt.serialize_header_param("color", []) is None
    assert rt.serialize_cookie_param("color", None) == []
    with pytest.raises(ValueError, match="missing path parameter"):
        rt.serialize_path_param("color", None)
    assert rt.serialize_path_param("color", []) == ""


def test_path_segments_stay_segments(runtimes: Runtimes) -> None:
    """An empty segment is refused and a dot segment (which URL normalization would drop) is
    sent encoded; both only where the placeholder is the whole segment."""
    rt = runtimes.client

    def url(path: str, value: object, style: str = "simple") -> str:
        parameter = rt.Parameter("c", "path", value, style)
        return rt.build_url("http://h", path, parameters=[parameter])

    assert url("/x/{c}", ".") == "http://h/x/%2E"
    assert url("/x/{c}", "..") == "http://h/x/%2E."
    assert url("/x/{c}", [], "label") == "http://h/x/%2E"
    exploded = rt.Parameter("c", "path", ["", ""], "label", explode=True)
    assert rt.build_url("http://h", "/x/{c}", parameters=[exploded]) == "http://h/x/%2E."
    assert url("/x/{c}.json", "") == "http://h/x/.json"
    assert url("/x/{c}", "a/b") == "http://h/x/a%2Fb"
    with pytest.raises(ValueError, match="must not be empty"):
        url("/x/{c}", [])
    with pytest.raises(ValueError, match="must not be empty"):
        url("/x/{c}/y", "")


def test_delimiters_inside_values_are_encoded(runtimes: Runtimes) -> None:
    """Split-before-decode needs every delimiter inside a value percent-encoded."""
    rt = runtimes.client
    assert rt.serialize_path_param("c", ["a,b", "c/d"]) == "a%2Cb,c%2Fd"
    assert rt.serialize_path_param("c", ["a.b", "c"], style="label", explode=True) == ".a%2Eb.c"
    assert rt.serialize_path_param("c", {"k;=": "v,"}, style="matrix", explode=True) == (
        ";k%3B%3D=v%2C"
    )
    assert rt.serialize_query_param("c", ["a,b", "c&d=e+f g"], explode=False) == [
        ("c", "a%2Cb,c%26d%3De%2Bf%20g")
    ]
    assert rt.serialize_query_param("c[x]", {"k": "v"}, style="deepObject") == [
        ("c%5Bx%5D%5Bk%5D", "v")
    ]


def test_allow_reserved_keeps_reserved_characters(runtimes: Runtimes) -> None:
    """OpenAPI's Appendix C example: `a=x%2By&b=x/y&c=x%5Ey` once the user pre-encodes `+`."""
    rt = runtimes.client
    formulas = {"a": "x%2By", "b": "x/y", "c": "x^y"}
    pairs = rt.serialize_query_param("formulas", formulas, allow_reserved=True)
    assert "&".join(f"{k}={v}" for k, v in pairs) == "a=x%2By&b=x/y&c=x%5Ey"
    plain = rt.serialize_query_param("formulas", {"a": "x+y", "b": "x/y", "c": "x^y"})
    assert "&".join(f"{k}={v}" for k, v in plain) == "a=x%2By&b=x%2Fy&c=x%5Ey"
    # what a query string cannot hold literally stays encoded, and a lone `%` too
    assert rt.serialize_query_param("q", "a#b[c]&d=e+f%g:h/?@!$'()*,;", allow_reserved=True) == [
        ("q", "a%23b%5Bc%5D%26d%3De%2Bf%25g:h/?@!$'()*,;")
    ]
    words = rt.serialize_query_param(
        "words", ["math", "is", "fun"], style="spaceDelimited", explode=False
    )
    assert words == [("words", "math%20is%20fun")]


def test_scalars_are_written_as_openapi_text(runtimes: Runtimes) -> None:
    rt = runtimes.client
    assert rt.serialize_query_param("b", [True, False, 1, 2.5]) == [
        ("b", "true"),
        ("b", "false"),
        ("b", "1"),
        ("b", "2.5"),
    ]
    assert rt.serialize_header_param("d", dt.date(2024, 2, 29)) == "2024-02-29"
    assert rt.serialize_path_param("x", [None, "a"]) == "a"  # undefined items are skipped


def test_values_a_style_cannot_carry_are_refused(runtimes: Runtimes) -> None:
    rt = runtimes.client
    with pytest.raises(ValueError, match="delimiter"):
        rt.serialize_query_param("c", ["a b"], style="spaceDelimited", explode=False)
    with pytest.raises(ValueError, match="delimiter"):
        rt.serialize_query_param("c", ["a|b"], style="pipeDelimited", explode=False)
    with pytest.raises(ValueError, match="delimiter"):
        rt.serialize_header_param("X-C", ["a,b", "c"])
    with pytest.raises(ValueError, match="header"):
        rt.serialize_header_param("X-C", "line\r\nbreak")
    with pytest.raises(ValueError, match="header"):
        rt.serialize_header_param("X-C", "caf\u00e9")
    with pytest.raises(ValueError, match="cookie"):
        rt.serialize_cookie_param("c", "a;b", style="cookie")
    with pytest.raises(ValueError, match="deepObject"):
        rt.serialize_query_param("c", ["a"], style="deepObject")
    with pytest.raises(ValueError, match="not defined for path"):
        rt.serialize_path_param("c", "a", style="form")
    with pytest.raises(TypeError, match="content"):
        rt.serialize_query_param("c", {"nested": {"x": 1}}, style="deepObject")


def test_content_parameters_are_json(runtimes: Runtimes) -> None:
    rt = runtimes.client
    value = {"a": [1, {"b": "caf\u00e9 & co"}]}
    assert rt.serialize_query_param("f", value, content_type="application/json") == [
        ("f", "%7B%22a%22%3A%5B1%2C%7B%22b%22%3A%22caf%C3%A9%20%26%20co%22%7D%5D%7D")
    ]
    assert rt.serialize_header_param("X-F", value, content_type="application/json") == (
        '{"a":[1,{"b":"caf\\u00e9 & co"}]}'
    )
    assert rt.serialize_path_param("f", "a/b", content_type="text/plain") == "a%2Fb"


# --------------------------------------------------------------------------------------------
# Server parsers against the table's literals
# --------------------------------------------------------------------------------------------


def parse(srt: Any, location: str, style: str, explode: bool, kind: str, text: str) -> Any:
    if location == "path":
        return srt.parse_path_param(text, "color", style=style, explode=explode, kind=kind)
    if location == "query":
        return srt.parse_query_param(
            srt.query_pairs_of(text), "color", style=style, explode=explode, kind=kind
        )
    if location == "header":
        return srt.parse_header_param([text], explode=explode, kind=kind)
    return srt.parse_cookie_param(
        srt.cookie_pairs_of([text]), "color", style=style, explode=explode, kind=kind
    )


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_server_reads_the_table(runtimes: Runtimes, row: tuple[str, str, bool, str]) -> None:
    location, style, explode, column = row
    text = expected_wire(location, style, explode, column)
    parsed = parse(runtimes.server, location, style, explode, KINDS[column], text)
    expected = VALUES[column]
    if column == "object":
        expected = {k: str(v) for k, v in OBJECT.items()}
    assert parsed == expected


def test_server_splits_before_decoding(runtimes: Runtimes) -> None:
    srt = runtimes.server
    assert srt.parse_path_param("a%2Cb,c%2Fd", "c", kind="array") == ["a,b", "c/d"]
    assert srt.parse_path_param(".a%2Eb.c", "c", style="label", explode=True, kind="array") == [
        "a.b",
        "c",
    ]
    pairs = srt.query_pairs_of("c=a%2Cb,c%26d%3De%2Bf+g")
    assert srt.parse_query_param(pairs, "c", explode=False, kind="array") == ["a,b", "c&d=e+f g"]
    assert srt.parse_header_param(["a, b", "c"], kind="array") == ["a", "b", "c"]
    with pytest.raises(srt.ParamSyntaxError, match="at most once"):
        srt.parse_query_param(srt.query_pairs_of("c=1&c=2"), "c")
    with pytest.raises(srt.ParamSyntaxError, match="alternating"):
        srt.parse_path_param("R,100,G", "c", kind="object")
    with pytest.raises(srt.ParamSyntaxError, match="label"):
        srt.parse_path_param("blue", "c", style="label")


# --------------------------------------------------------------------------------------------
# Round trip: client runtime -> HTTP on 127.0.0.1 -> server runtime, every row of the table
# --------------------------------------------------------------------------------------------


def route(location: str, style: str, explode: bool, column: str) -> str:
    base = f"/rt/{location}/{style}/{int(explode)}/{column}"
    return base + "/{color}" if location == "path" else base


@pytest.fixture(scope="module")
def table_server(runtimes: Runtimes, serve: Callable[[Any, Harness], Harness]) -> Harness:
    srt = runtimes.server
    harness = Harness(url="")
    operations = []
    for location, style, explode, column in ROWS:
        param = srt.Param(
            "color",
            "color",
            location,
            TYPES[column],
            required=location == "path",
            style=style,
            explode=explode,
            kind=KINDS[column],
        )
        operations.append(
            operation(
                srt,
                row_id((location, style, explode, column)),
                "GET",
                route(location, style, explode, column),
                params=[param],
                harness=harness,
            )
        )
    return serve(srt.build_app(object(), build_spec(srt, operations)), harness)


def wire_of(seen: Any, location: str) -> str:
    if location == "path":
        return seen.raw_path.rsplit("/", 1)[-1]
    if location == "query":
        return seen.query_string
    if location == "header":
        return seen.header("color")[0]
    return "; ".join(seen.header("cookie"))


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_table_round_trip_over_http(
    runtimes: Runtimes, table_server: Harness, row: tuple[str, str, bool, str]
) -> None:
    location, style, explode, column = row
    value = VALUES[column]
    with client_class(runtimes.client)(table_server.url) as client:
        client._request(
            "GET",
            route(location, style, explode, column),
            parameters=[runtimes.client.Parameter("color", location, value, style, explode)],
            responses={200: None},
        )
    seen = table_server.last()
    assert wire_of(seen, location) == expected_wire(location, style, explode, column)
    assert seen.request is not None
    assert seen.request["color"] == value


def test_cookie_parameters_join_default_cookies(runtimes: Runtimes, table_server: Harness) -> None:
    rt = runtimes.client
    client = client_class(rt)(table_server.url, default_headers={"Cookie": "session=s1"})
    with client:
        client._request(
            "GET",
            route("cookie", "form", True, "array"),
            parameters=[rt.Parameter("color", "cookie", ["a b", "c;d"])],
            responses={200: None},
        )
    seen = table_server.last()
    assert seen.header("cookie") == ["session=s1; color=a%20b; color=c%3Bd"]
    assert seen.request is not None and seen.request["color"] == ["a b", "c;d"]


def test_absent_optional_parameters_are_none(runtimes: Runtimes, table_server: Harness) -> None:
    with client_class(runtimes.client)(table_server.url) as client:
        for location in ("query", "header", "cookie"):
            style = "simple" if location == "header" else "form"
            client._request(
                "GET",
                route(location, style, True, "array"),
                parameters=[runtimes.client.Parameter("color", location, None)],
                responses={200: None},
            )
            request = table_server.last().request
            assert request is not None and request["color"] is None, location


def test_malformed_parameters_are_answered_400(runtimes: Runtimes, table_server: Harness) -> None:
    with httpx.Client(base_url=table_server.url) as http:
        answer = http.get(route("path", "label", False, "string").replace("{color}", "blue"))
        assert answer.status_code == 400
        assert answer.json()["errors"][0]["code"] == "invalid_parameter"
        assert "label" in answer.json()["errors"][0]["message"]
        answer = http.get(route("query", "form", False, "object"), params={"color": "R,1,G"})
        assert answer.status_code == 400
        answer = http.get(route("query", "form", False, "object"), params={"color": "R,x"})
        assert answer.status_code == 400 and answer.json()["errors"][0]["parameter"] == "color"


# --------------------------------------------------------------------------------------------
# Typed values and `content` parameters over HTTP
# --------------------------------------------------------------------------------------------


class RGB(pydantic.BaseModel):
    R: int
    G: int
    B: int


class Position(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    x: int
    y: int


@pytest.fixture(scope="module")
def typed_server(runtimes: Runtimes, serve: Callable[[Any, Harness], Harness]) -> Harness:
    srt = runtimes.server
    harness = Harness(url="")
    params = [
        srt.Param("ids", "ids", "path", list[int], required=True, kind="array", style="label"),
        srt.Param("when", "when", "query", list[dt.date], kind="array", explode=False),
        srt.Param("flags", "flags", "header", dict[str, bool], kind="object", explode=True),
        srt.Param("filter", "filter_", "query", dict[str, Any], content_type="application/json"),
        srt.Param("X-Meta", "meta", "header", dict[str, Any], content_type="application/json"),
        srt.Param("session", "session", "cookie", dict[str, Any], content_type="application/json"),
        srt.Param(
            "sel", "sel", "path", dict[str, Any], required=True, content_type="application/json"
        ),
        srt.Param("rgb", "rgb", "cookie", RGB, kind="object"),
        srt.Param("pos", "pos", "query", Position | None, kind="object"),
    ]
    op = operation(srt, "typed", "GET", "/typed/{ids}/{sel}", params=params, harness=harness)
    return serve(srt.build_app(object(), build_spec(srt, [op])), harness)


def test_typed_and_content_parameters_round_trip(runtimes: Runtimes, typed_server: Harness) -> None:
    rt = runtimes.client
    content = {"name": "caf\u00e9 & co; x=1", "tags": ["a,b", "c/d"], "n": {"deep": [1, 2.5]}}
    parameters = [
        rt.Parameter("ids", "path", [1, 22, 333], "label"),
        rt.Parameter("when", "query", [dt.date(2024, 2, 29), dt.date(1999, 12, 31)], explode=False),
        rt.Parameter("flags", "header", {"a": True, "b": False}, explode=True),
        rt.Parameter("filter", "query", content, content_type="application/json"),
        rt.Parameter("X-Meta", "header", content, content_type="application/json"),
        rt.Parameter("session", "cookie", content, content_type="application/json"),
        rt.Parameter("sel", "path", content, content_type="application/json"),
    ]
    parameters += [
        rt.Parameter("rgb", "cookie", RGB(R=1, G=2, B=3)),
        rt.Parameter("pos", "query", {"x": 5, "y": -6}),
        rt.Parameter("utm_source", "query", "newsletter"),  # not a parameter of the operation
    ]
    client = client_class(rt)(typed_server.url, default_headers={"Cookie": "sid=s1"})
    with client:
        client._request("GET", "/typed/{ids}/{sel}", parameters=parameters, responses={200: None})
    seen = typed_server.last()
    assert seen.request is not None
    assert seen.request["ids"] == [1, 22, 333]
    assert seen.request["when"] == [dt.date(2024, 2, 29), dt.date(1999, 12, 31)]
    assert seen.request["flags"] == {"a": True, "b": False}
    for name in ("filter_", "meta", "session", "sel"):
        assert seen.request[name] == content, name
    assert seen.header("x-meta") == [json.dumps(content, separators=(",", ":"))]
    # exploded objects take only their own properties, not other cookies or query names
    assert seen.request["rgb"] == RGB(R=1, G=2, B=3)
    assert seen.request["pos"] == Position(x=5, y=-6)
    assert seen.header("cookie")[0].startswith("sid=s1; session=")
    assert seen.query_string.startswith("when=2024-02-29,1999-12-31&filter=%7B")


# --------------------------------------------------------------------------------------------
# Random values per style (hypothesis), over the same live server
# --------------------------------------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=","), max_size=8
)
COOKIE_TEXT = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=';,"\\'),
    max_size=8,
)


def strategy(location: str, style: str, explode: bool, column: str) -> st.SearchStrategy[Any]:
    text = TEXT
    if location == "header":
        text = HEADER_TEXT
    elif style == "cookie":
        text = COOKIE_TEXT
    elif style == "spaceDelimited":
        text = TEXT.filter(lambda t: " " not in t)
    elif style == "pipeDelimited":
        text = TEXT.filter(lambda t: "|" not in t)
    key = text
    if (location == "header" and explode) or style == "cookie":
        key = text.filter(lambda t: "=" not in t)
    if column == "string":
        if location == "path" and style == "simple":
            return text.filter(lambda t: t not in ("",))
        return text
    if column == "array":
        arrays = st.lists(text, min_size=1, max_size=4).filter(lambda a: a != [""])
        if location == "path" and style == "simple":
            arrays = arrays.filter(lambda a: ",".join(a) != "")
        return arrays
    values = st.integers(min_value=-(10**6), max_value=10**6)
    return st.dictionaries(key, values, min_size=1, max_size=4)


@pytest.mark.slow
@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_random_values_round_trip(
    runtimes: Runtimes, table_server: Harness, row: tuple[str, str, bool, str]
) -> None:
    location, style, explode, column = row
    rt = runtimes.client
    with client_class(rt)(table_server.url) as client:

        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(value=strategy(location, style, explode, column))
        def round_trip(value: Any) -> None:
            client._request(
                "GET",
                route(location, style, explode, column),
                parameters=[rt.Parameter("color", location, value, style, explode)],
                responses={200: None},
            )
            request = table_server.last().request
            assert request is not None
            assert request["color"] == value

        round_trip()


# --------------------------------------------------------------------------------------------
# RFC 6570's own examples (the uritemplate-test suite), for the operators OpenAPI styles use
# --------------------------------------------------------------------------------------------

RFC_SUITE = Path(__file__).parent / "data" / "uritemplate-test" / "spec-examples-by-section.json"
EXPRESSION = re.compile(
    r"^(?P<pre>[^{}]*)\{(?P<op>[;.?]?)(?P<vars>[A-Za-z_*,]+)\}(?P<post>[^{}]*)$"
)


def rfc_cases() -> list[tuple[str, str, list[tuple[str, bool]], dict[str, Any], list[str]]]:
    """(section, template, [(variable, explode)], variables, accepted results) of every case
    that is one `{...}` expression of a style OpenAPI has, over defined values only (OpenAPI's
    table gives undefined values a form of its own)."""
    cases = []
    for section, block in json.loads(RFC_SUITE.read_text("utf-8")).items():
        variables = block["variables"]
        for template, expected in block["testcases"]:
            match = EXPRESSION.match(template)
            if match is None:
                continue
            names = [(v.rstrip("*"), v.endswith("*")) for v in match["vars"].split(",")]
            values = [variables.get(name) for name, _ in names]
            if any(v is None or v == [] or v == {} for v in values):
                continue
            if match["op"] != "?" and len(names) > 1:
                continue  # several variables in one expression: only form has an equivalent
            accepted = expected if isinstance(expected, list) else [expected]
            cases.append((section, template, names, variables, accepted))
    return cases


RFC_CASES = rfc_cases()


def test_rfc_suite_covers_every_operator() -> None:
    operators = {EXPRESSION.match(case[1])["op"] for case in RFC_CASES}  # type: ignore[index]
    assert operators == {"", ".", ";", "?"} and len(RFC_CASES) >= 30


@pytest.mark.parametrize("case", RFC_CASES, ids=lambda case: f"{case[0][:5]} {case[1]}")
def test_rfc6570_examples(runtimes: Runtimes, case: tuple[Any, ...]) -> None:
    _, template, names, variables, accepted = case
    rt = runtimes.client
    match = EXPRESSION.match(template)
    assert match is not None
    op = match["op"]
    if op == "?":
        pairs = [
            pair
            for name, explode in names
            for pair in rt.serialize_query_param(name, variables[name], explode=explode)
        ]
        body = "?" + "&".join(f"{k}={v}" for k, v in pairs)
    else:
        (name, explode), style = names[0], {"": "simple", ".": "label", ";": "matrix"}[op]
        body = rt.serialize_path_param(name, variables[name], style=style, explode=explode)
        body = body.replace("%2E", ".")  # label values encode `.`: the same URI (RFC 3986 6.2.2.2)
    assert match["pre"] + body + match["post"] in accepted
