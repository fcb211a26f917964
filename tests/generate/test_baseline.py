"""The feature baseline: one spec using everything the generator supports (tests/generate/baseline,
in OpenAPI 3.0 and 3.1), its generated packages committed as golden records, and the generated
client driven against the generated server under uvicorn on 127.0.0.1 for every media type,
parameter location and style. The server's handlers echo what the server parsed, so each call
checks that the server reads exactly what the client sent.

After an intended change, regenerate the goldens with one command:

    .venv/bin/python -m generator generate tests/generate/baseline/30.yaml \
        tests/generate/baseline/31.yaml --out tests/generate/baseline/golden
"""

from __future__ import annotations

import asyncio
import importlib
import io
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import httpx
import pydantic
import pytest

from tests.conftest import ROOT, CliRunner, LiveServer

BASELINE = ROOT / "tests" / "generate" / "baseline"
GOLDEN = BASELINE / "golden"
PACKAGES = ("baseline_30", "baseline_31")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))


def _plain(value: object) -> object:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _fields(request: object) -> dict[str, object]:
    """The parsed parameters of a request class (not its context), as JSON data."""
    names = [n for n in request.__dataclass_fields__ if n not in ("context", "body")]  # type: ignore[attr-defined]
    return {n: _plain(getattr(request, n)) for n in names if getattr(request, n) is not None}


def make_handlers(pkg: ModuleType) -> Any:
    models = pkg.models
    server = importlib.import_module(f"{pkg.__name__}.server")

    def echo(values: dict[str, object]) -> Any:
        return models.Echo(values=values)

    class Handlers:
        async def path_primitive(self, request: Any) -> Any:
            return echo(_fields(request))

        path_array = path_object = query_styles = query_exploded_object = path_primitive
        header_styles = cookie_styles = path_primitive

        async def create_pet(self, request: Any) -> Any:
            body = request.body
            return models.PetResponse(id=7, **body.model_dump(exclude_none=True))

        async def submit_form(self, request: Any) -> Any:
            return echo({"body": _plain(request.body)})

        async def upload(self, request: Any) -> Any:
            parts = request.context.parts
            files = [
                {
                    "field": part.name,
                    "filename": part.filename,
                    "contentType": part.content_type,
                    "size": len(part.data),
                }
                for part in parts
                if part.name in ("file", "attachments")
            ]
            body = request.body
            assert isinstance(body.file, bytes)
            assert sum(f["size"] for f in files if f["field"] == "file") == len(body.file)
            return models.Upload(files=files, meta=body.meta, note=body.note)

        async def shout(self, request: Any) -> Any:
            return request.body.upper()

        async def reverse_bytes(self, request: Any) -> Any:
            return (request.body or b"")[::-1]

        async def get_image(self, request: Any) -> Any:
            if request.name != "logo":
                return server.Reply(404, models.Error(message=f"no image {request.name!r}"))
            return PNG

        async def range_only(self, request: Any) -> Any:
            pet = models.PetResponse(id=1, name="Rex", kind="dog")
            return server.Reply(request.status or 200, pet)

        async def default_only(self, request: Any) -> Any:
            return models.PetResponse(id=2, name="Tom", kind="cat")

        async def delete_thing(self, request: Any) -> Any:
            if request.context.headers.get("x-fail"):
                return server.Reply(409, models.Error(message="in use"))
            return server.Reply(204)

        async def subscribe(self, request: Any) -> Any:
            return server.Reply(201)

        async def list_books(self, request: Any) -> Any:
            genre = request.genre or "novel"
            first = [models.Book(title=f"{genre} {n}", shelf=request.shelf_id) for n in (1, 2)]
            if request.cursor is None:
                return models.BookPage(data=first, next_page="p2")
            assert request.cursor == "p2"
            return models.BookPage(data=[models.Book(title="last", shelf=request.shelf_id)])

    return Handlers()


@dataclass
class Running:
    pkg: ModuleType
    url: str
    sent: list[httpx.Request]

    def client(self) -> Any:
        http = httpx.Client(event_hooks={"request": [self.sent.append]})
        return self.pkg.Client(self.url, http_client=http, max_retries=0)

    def async_client(self) -> Any:
        async def record(request: httpx.Request) -> None:
            self.sent.append(request)

        http = httpx.AsyncClient(event_hooks={"request": [record]})
        return self.pkg.AsyncClient(self.url, http_client=http, max_retries=0)

    @property
    def last(self) -> httpx.Request:
        return self.sent[-1]


@pytest.fixture(scope="module", params=PACKAGES)
def running(request: pytest.FixtureRequest) -> Iterator[Running]:
    name = request.param
    sys.path.insert(0, str(GOLDEN))
    try:
        pkg = importlib.import_module(name)
        server = importlib.import_module(f"{name}.server")
        with LiveServer(server.create_app(make_handlers(pkg))) as live:
            yield Running(pkg, live.url, [])
    finally:
        sys.path.remove(str(GOLDEN))
        for module in [m for m in sys.modules if m.split(".")[0] == name]:
            del sys.modules[module]


def raw_path(request: httpx.Request) -> str:
    return request.url.raw_path.decode("ascii")


# ------------------------------------------------------------------------ parameters


def test_path_primitives_every_style(running: Running) -> None:
    with running.client() as client:
        echo = client.path_primitive("a b/c", 5, "x.y", "z", "m;n", True)
    assert echo.values == {
        "simple": "a b/c",
        "simple_x": 5,
        "label": "x.y",
        "label_x": "z",
        "matrix": "m;n",
        "matrix_x": True,
    }
    assert raw_path(running.last).endswith(
        "/path/primitive/a%20b%2Fc/5/.x%2Ey/.z/;matrix=m%3Bn/;matrixX=true"
    )


def test_path_arrays_every_style(running: Running) -> None:
    with running.client() as client:
        echo = client.path_array(["a", "b,c"], [1, 2], ["x", "y"], ["p", "q"], ["m"], ["u", "v"])
    assert echo.values == {
        "simple": ["a", "b,c"],
        "simple_x": [1, 2],
        "label": ["x", "y"],
        "label_x": ["p", "q"],
        "matrix": ["m"],
        "matrix_x": ["u", "v"],
    }
    assert raw_path(running.last).endswith(
        "/path/array/a,b%2Cc/1,2/.x,y/.p.q/;matrix=m/;matrixX=u;matrixX=v"
    )


def test_path_objects_every_style(running: Running) -> None:
    color = running.pkg.models.Color(R=100, G=200, B=150)
    with running.client() as client:
        echo = client.path_object(color, color, color, color, color, color)
    wanted = {"R": 100, "G": 200, "B": 150}
    assert echo.values == {
        k: wanted for k in ("simple", "simple_x", "label", "label_x", "matrix", "matrix_x")
    }
    # the rows of OpenAPI's style table
    assert raw_path(running.last).endswith(
        "/path/object/R,100,G,200,B,150/R=100,G=200,B=150/.R,100,G,200,B,150/.R=100.G=200.B=150"
        "/;matrix=R,100,G,200,B,150/;R=100;G=200;B=150"
    )


def test_query_every_style(running: Running) -> None:
    models = running.pkg.models
    color = models.Color(R=1, G=2, B=3)
    with running.client() as client:
        echo = client.query_styles(
            form="a b",
            form_list=["x", "y"],
            form_csv=[1, 2],
            form_object=color,
            spaced=["s", "t"],
            piped=["p", "q"],
            piped_object=color,
            deep=color,
            inline={"k": "v", "l": "w"},
            reserved="a/b?c",
            kind="count",
            when="2024-02-29",
            where=models.Filter(term="blue", max=3),
            limit=5,
        )
    assert echo.values == {
        "form": "a b",
        "form_list": ["x", "y"],
        "form_csv": [1, 2],
        "form_object": {"R": 1, "G": 2, "B": 3},
        "spaced": ["s", "t"],
        "piped": ["p", "q"],
        "piped_object": {"R": 1, "G": 2, "B": 3},
        "deep": {"R": 1, "G": 2, "B": 3},
        "inline": {"k": "v", "l": "w"},
        "reserved": "a/b?c",
        "kind": "count",
        "when": "2024-02-29",
        "where": {"term": "blue", "max": 3},
        "limit": 5,
    }
    query = running.last.url.query.decode("ascii").split("&")
    assert query == [
        "form=a%20b",
        "formList=x",
        "formList=y",
        "formCsv=1,2",
        "formObject=R,1,G,2,B,3",
        "spaced=s%20t",
        "piped=p%7Cq",
        "pipedObject=R%7C1%7CG%7C2%7CB%7C3",
        "deep%5BR%5D=1",
        "deep%5BG%5D=2",
        "deep%5BB%5D=3",
        "inline%5Bk%5D=v",
        "inline%5Bl%5D=w",
        "reserved=a/b?c",
        "kind=count",
        "when=2024-02-29",
        "where=" + quote('{"term":"blue","max":3}', safe=""),
        "limit=5",
    ]


def test_query_exploded_object(running: Running) -> None:
    color = running.pkg.models.Color(R=4, G=5, B=6)
    with running.client() as client:
        echo = client.query_exploded_object(color=color, page=2)
    assert echo.values == {"color": {"R": 4, "G": 5, "B": 6}, "page": 2}
    assert running.last.url.query == b"R=4&G=5&B=6&page=2"


def test_server_refuses_what_the_style_cannot_parse(running: Running) -> None:
    # an exploded object missing a required property, sent by hand
    answer = httpx.get(f"{running.url}/query/exploded?R=1&G=2")
    assert answer.status_code == 400
    answer = httpx.get(f"{running.url}/query?formCsv=1,x")
    assert answer.status_code == 400 and "formCsv" in answer.text


def test_headers_every_form(running: Running) -> None:
    models = running.pkg.models
    color = models.Color(R=9, G=8, B=7)
    with running.client() as client:
        echo = client.header_styles(
            x_plain="plain text",
            x_list=[3, 4],
            x_object=color,
            x_object_exploded=color,
            x_json=models.Filter(term="é"),
        )
    assert echo.values == {
        "x_plain": "plain text",
        "x_list": [3, 4],
        "x_object": {"R": 9, "G": 8, "B": 7},
        "x_object_exploded": {"R": 9, "G": 8, "B": 7},
        "x_json": {"term": "é"},
    }
    headers = running.last.headers
    assert headers["X-List"] == "3,4"
    assert headers["X-Object"] == "R,9,G,8,B,7"
    assert headers["X-Object-Exploded"] == "R=9,G=8,B=7"
    assert headers["X-Json"] == '{"term":"\\u00e9"}'


def test_cookies_every_form(running: Running) -> None:
    color = running.pkg.models.Color(R=1, G=1, B=2)
    with running.client() as client:
        echo = client.cookie_styles(
            session="s 1", tags=["a", "b"], repeated=["x", "y"], shade=color
        )
    assert echo.values == {
        "session": "s 1",
        "tags": ["a", "b"],
        "repeated": ["x", "y"],
        "shade": {"R": 1, "G": 1, "B": 2},
    }
    assert running.last.headers["Cookie"] == (
        "session=s%201; tags=a,b; repeated=x; repeated=y; shade=R,1,G,1,B,2"
    )


def test_a_missing_required_cookie_is_refused(running: Running) -> None:
    answer = httpx.get(f"{running.url}/cookies")
    assert answer.status_code == 400 and "session" in answer.text


# ------------------------------------------------------------------------ bodies


def test_json_body(running: Running) -> None:
    models = running.pkg.models
    with running.client() as client:
        pet = client.create_pet(models.PetRequest(name="Rex", kind="dog", tags=["good"]))
    assert isinstance(pet, models.PetResponse)
    assert (pet.id, pet.name, pet.kind, pet.tags) == (7, "Rex", models.Kind.dog, ["good"])
    assert running.last.headers["Content-Type"] == "application/json; charset=utf-8"


def test_form_body_with_encoding(running: Running) -> None:
    models = running.pkg.models
    form = models.BodiesFormPostRequest(
        name="a&b c",
        count=3,
        tags=["t1", "t2"],
        codes=["x", "y"],
        shape=models.Color(R=1, G=2, B=3),
        point=models.Color(R=4, G=5, B=6),
    )
    with running.client() as client:
        echo = client.submit_form(form)
    assert echo.values == {
        "body": {
            "name": "a&b c",
            "count": 3,
            "tags": ["t1", "t2"],
            "codes": ["x", "y"],
            "shape": {"R": 1, "G": 2, "B": 3},
            "point": {"R": 4, "G": 5, "B": 6},
        }
    }
    sent = running.last
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent.content.decode().split("&") == [
        "name=a%26b+c",
        "count=3",
        "tags=t1",
        "tags=t2",
        "codes=x%7Cy",
        "shape=%7B%22R%22%3A1%2C%22G%22%3A2%2C%22B%22%3A3%7D",
        "point%5BR%5D=4",
        "point%5BG%5D=5",
        "point%5BB%5D=6",
    ]


def test_form_body_missing_a_required_field_is_refused(running: Running) -> None:
    answer = httpx.post(
        f"{running.url}/bodies/form",
        content=b"count=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 400 and "name" in answer.text


def test_multipart_files_as_bytes_file_objects_and_tuples(running: Running) -> None:
    models = running.pkg.models
    picture = io.BytesIO(PNG)
    picture.name = "/home/me/cat.png"
    with running.client() as client:
        sent = client.upload(
            {
                "file": picture,
                "attachments": [b"first", ("notes.txt", b"second file", "text/plain")],
                "meta": models.Filter(term="t", max=1),
                "note": "hello",
            }
        )
        as_model = client.upload(models.BodiesMultipartPostRequest(file=b"raw", note="m"))
    assert isinstance(sent, models.Upload)
    assert [f.model_dump(by_alias=True) for f in sent.files] == [
        {"field": "file", "filename": "cat.png", "contentType": "image/png", "size": len(PNG)},
        {
            "field": "attachments",
            "filename": "attachments",
            "contentType": "application/octet-stream",
            "size": 5,
        },
        {"field": "attachments", "filename": "notes.txt", "contentType": "text/plain", "size": 11},
    ]
    assert sent.meta == models.Filter(term="t", max=1) and sent.note == "hello"
    assert [f.size for f in as_model.files] == [3] and as_model.note == "m"
    assert running.last.headers["Content-Type"].startswith("multipart/form-data; boundary=")


def test_multipart_without_its_required_file_is_refused(running: Running) -> None:
    answer = httpx.post(f"{running.url}/bodies/multipart", files={"note": (None, b"x")})
    assert answer.status_code == 400 and "file" in answer.text


def test_text_body_and_answer(running: Running) -> None:
    with running.client() as client:
        assert client.shout("hello, wörld") == "HELLO, WÖRLD"
    assert running.last.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert running.last.headers["Accept"].startswith("text/plain")


def test_binary_body_and_answer(running: Running) -> None:
    data = bytes(range(256)) * 10
    with running.client() as client:
        assert client.reverse_bytes(body=data) == data[::-1]
        assert client.reverse_bytes(body=io.BytesIO(b"abc")) == b"cba"
        assert client.reverse_bytes() == b""
    assert running.last.headers.get("Content-Type") is None


def test_binary_answer_streamed(running: Running) -> None:
    data = bytes(range(256)) * 400
    with running.client() as client:
        with client.reverse_bytes_stream(body=data) as streamed:
            assert streamed.status_code == 200
            chunks = list(streamed.iter_bytes())
        assert b"".join(chunks) == data[::-1]
        with client.get_image_stream("logo") as image:
            assert image.content_type == "image/png" and image.read() == PNG


def test_image_answer_and_its_json_error(running: Running) -> None:
    with running.client() as client:
        assert client.get_image("logo") == PNG
        assert running.last.headers["Accept"] == "image/png, application/json;q=0.5"
        with pytest.raises(running.pkg.NotFoundError) as raised:
            client.get_image("nope")
        with pytest.raises(running.pkg.NotFoundError):
            with client.get_image_stream("nope"):
                pass
    assert "no image 'nope'" in str(raised.value)


# ------------------------------------------------------------------------ answers


def test_answers_documented_by_range_and_default(running: Running) -> None:
    models = running.pkg.models
    with running.client() as client:
        ranged = client.range_only(status=203)
        default = client.default_only()
        assert client.delete_thing() is None
        with pytest.raises(running.pkg.ConflictError):
            client.delete_thing(extra_headers={"x-fail": "1"})
    assert isinstance(ranged, models.PetResponse) and ranged.name == "Rex"
    assert isinstance(default, models.PetResponse) and default.name == "Tom"


def test_async_client(running: Running) -> None:
    async def calls() -> tuple[Any, bytes, Any]:
        async with running.async_client() as client:
            upload = await client.upload({"file": ("a.png", PNG, "image/png"), "note": "n"})
            async with client.reverse_bytes_stream(body=b"12345") as streamed:
                data = b"".join([chunk async for chunk in streamed.aiter_bytes()])
            color = running.pkg.models.Color(R=1, G=2, B=3)
            echo = await client.query_styles(form_csv=[7, 8], deep=color)
            return upload, data, echo

    upload, data, echo = asyncio.run(calls())
    assert upload.files[0].filename == "a.png" and upload.note == "n"
    assert data == b"54321"
    assert echo.values == {"form_csv": [7, 8], "deep": {"R": 1, "G": 2, "B": 3}}


# ------------------------------------------------------------------------ models


def test_models_mypy_once_refused_are_usable(running: Running) -> None:
    """Shapes whose generated models failed mypy --strict: enum values named like `str`
    methods, a `oneOf` default copied into a branch that cannot hold it, `default: null` on a
    schema that does not allow null."""
    models = running.pkg.models
    assert [m.value for m in models.Kind] == ["cat", "dog", "count", "index", "format"]
    assert models.Kind.count_ == "count" and models.Kind("index") is models.Kind.index_
    assert "count".count("c") == models.Kind.count_.count("c") == 1  # str methods still work
    tuning = models.Tuning()
    assert tuning.epochs == "auto" and tuning.noise is None
    assert models.Tuning.model_validate({"epochs": 3}).epochs.root == 3
    with pytest.raises(pydantic.ValidationError):
        models.Epochs1.model_validate("auto")


# ------------------------------------------------------------------------ other files


def test_a_path_item_from_another_file_is_a_real_method(running: Running) -> None:
    """`paths: {/shelves/{shelfId}/books: {$ref: shared/books.yaml}}`, whose schemas are in a
    third file: a typed method, and a page iterator that keeps the path parameter."""
    models = running.pkg.models
    with running.client() as client:
        page = client.list_books(3, genre="poetry")
        books = list(client.iter_list_books(4))
    assert isinstance(page, models.BookPage) and page.next_page == "p2"
    assert [b.title for b in page.data] == ["poetry 1", "poetry 2"]
    assert [(b.title, b.shelf) for b in books] == [("novel 1", 4), ("novel 2", 4), ("last", 4)]
    assert raw_path(running.last).endswith("/shelves/4/books?cursor=p2")


def test_relative_references_resolve_from_the_spec_folder_whatever_the_cwd(
    cli: CliRunner, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "work"
    elsewhere.mkdir()
    spec = BASELINE / "31.yaml"
    done = cli("generate", spec, "--out", "out", "--package", "baseline_31", cwd=elsewhere)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("client.py", "models/__init__.py", "server.py"):
        fresh = (elsewhere / "out" / "baseline_31" / name).read_text()
        assert fresh == (GOLDEN / "baseline_31" / name).read_text(), name


def test_a_reference_leaving_the_spec_folder_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "common.yaml").write_text("Thing: {type: object}\n")
    (tmp_path / "api" / "spec.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n"
        "      responses:\n        default:\n          description: x\n          content:\n"
        "            application/json: {schema: {$ref: '../common.yaml#/Thing'}}\n"
    )
    done = cli("generate", "api/spec.yaml", "--out", "out", "--package", "p", cwd=tmp_path)
    assert done.returncode == 1
    assert "error ref-outside-root" in done.stdout
    assert "/paths/~1a/get/responses/default/content/application~1json/schema/$ref" in done.stdout
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------ the goldens


def test_goldens_are_up_to_date(cli: CliRunner) -> None:
    done = cli(
        "generate",
        "tests/generate/baseline/30.yaml",
        "tests/generate/baseline/31.yaml",
        "--out",
        "tests/generate/baseline/golden",
        "--check",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "golden/baseline_30: up to date" in done.stdout
    assert "golden/baseline_31: up to date" in done.stdout
    assert "info not-generated: webhook POST petAdopted" in done.stdout


def test_goldens_pass_mypy_strict_and_ruff() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *PACKAGES],
        cwd=GOLDEN,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ruff = Path(sys.executable).with_name("ruff")
    for args in (["check", "--isolated"], ["format", "--isolated", "--check"]):
        linted = subprocess.run([ruff, *args, "."], cwd=GOLDEN, capture_output=True, text=True)
        assert linted.returncode == 0, linted.stdout + linted.stderr
