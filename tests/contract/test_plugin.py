"""The pytest plugin as a third party uses it: inner test files (run by pytester) call a real
HTTP server on 127.0.0.1 with httpx and check the answers against the Quickstart spec through
the `apicontract` fixture."""

from __future__ import annotations

import base64
import json
import os
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# Inner runs use runpytest_subprocess: an in-process run restores sys.modules afterwards and
# drops modules first imported inside it (httpcore internals), breaking later tests.
from generator.contract import Contract, Exchange
from generator.contract.traffic import read_exchanges
from tests.conftest import ROOT

pytest_plugins = ["pytester"]

SPEC = ROOT / "specs/quickstart/fulfillments.yaml"
PLUGIN = ("-p", "generator.pytest_plugin")
OLI = "8ad085e287142db601872469b9ec0944"
REQUEST_ID = "0" * 36

#: what the server answers, by path: (status, JSON body)
ANSWERS: dict[str, tuple[int, Any]] = {
    "/fulfillments/good": (
        200,
        {"id": "good", "quantity": 2, "state": "booked", "fulfillment_date": "2024-03-01"},
    ),
    # two differences: a string quantity and a property the closed schema does not know
    "/fulfillments/bad": (200, {"id": "bad", "quantity": "two", "colour": "red"}),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Zuora-Request-Id", REQUEST_ID)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in ANSWERS:
            self._answer(*ANSWERS[path])
        else:
            self._answer(404, {"type": "not_found", "errors": [], "retryable": False})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        sent = json.loads(self.rfile.read(length) or b"null")
        state = sent.get("state", "accepted") if isinstance(sent, dict) else "accepted"
        self._answer(201, {"id": "new", "state": state, "created_time": "2024-03-01T10:00:00Z"})

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def inner(pytester: pytest.Pytester, server: str, body: str, name: str = "test_inner") -> None:
    """Write an inner test module; `URL`, `SPEC`, `AUTH` and `httpx` are available in it."""
    head = f"""
        import asyncio

        import httpx
        import pytest

        URL = {server!r}
        SPEC = {str(SPEC)!r}
        AUTH = {{"Authorization": "Bearer token"}}
    """
    pytester.makepyfile(**{name: textwrap.dedent(head) + textwrap.dedent(body)})


def output(result: pytest.RunResult) -> str:
    return "\n".join(result.outlines + result.errlines)


# -- assert_conforms -------------------------------------------------------------------------
def test_assert_conforms_passes_and_fails_with_a_readable_diff(
    pytester: pytest.Pytester, server: str
) -> None:
    inner(
        pytester,
        server,
        """
        def test_good(apicontract):
            response = httpx.get(URL + "/fulfillments/good", headers=AUTH)
            result = apicontract.load(SPEC).assert_conforms(response)
            assert result.operation == "getFulfillment"

        def test_bad(apicontract):
            response = httpx.get(URL + "/fulfillments/bad", headers=AUTH)
            apicontract.load(SPEC).assert_conforms(response)

        def test_check_does_not_raise(apicontract):
            response = httpx.get(URL + "/fulfillments/bad", headers=AUTH)
            result = apicontract.load(SPEC).check(response)
            assert not result.conforms
            assert [f.pointer for f in result.findings] == ["/quantity", "/colour"]
            assert apicontract.results == [result]
        """,
    )
    result = pytester.runpytest_subprocess(*PLUGIN, "--strict-markers", "-W", "error")
    result.assert_outcomes(passed=2, failed=1)
    text = output(result)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: GET http://127.0.0.1:*/fulfillments/bad (getFulfillment, 200) "
            "does not conform to *fulfillments.yaml",
            "*@ response body /quantity: wrong_type: *"
            "[[]#/components/schemas/Fulfillment/properties/quantity/type]",
            "*- expected: number",
            "*+ actual: string",
            "*@ response body /colour: unexpected_property: *",
            "*- expected: no such property (the object is closed)",
            '*+ actual: "red"',
        ]
    )
    # the failure points at the test's line, not at the plugin's internals
    assert "apicontract.load(SPEC).assert_conforms(response)" in text
    assert "pytest_plugin.py" not in text
    assert "test_good PASSED" not in text  # (not verbose) and no errors besides test_bad
    assert "1 failed, 2 passed" in text


# -- clients -----------------------------------------------------------------------------------
def test_strict_clients_fail_the_test_when_it_ends(pytester: pytest.Pytester, server: str) -> None:
    inner(
        pytester,
        server,
        """
        def test_client_good(apicontract):
            with apicontract.load(SPEC).client(base_url=URL, headers=AUTH) as client:
                assert client.get("/fulfillments/good").json()["quantity"] == 2
                created = client.post(
                    "/fulfillments",
                    json={"order_line_item_id": "x", "fulfillment_date": "2024-03-01",
                          "quantity": 1},
                )
                assert created.status_code == 201
            assert [r.conforms for r in apicontract.results] == [True, True]

        def test_client_bad(apicontract):
            with apicontract.load(SPEC).client(base_url=URL, headers=AUTH) as client:
                client.get("/fulfillments/bad")
                client.get("/fulfillments/good")
                client.post("/fulfillments", json={"quantity": "many"})
            print("the test body ran to its end")

        def test_client_bad_and_own_failure(apicontract):
            with apicontract.load(SPEC).client(base_url=URL, headers=AUTH) as client:
                client.get("/fulfillments/bad")
            assert 1 == 2, "the test's own failure"

        def test_lenient_client(apicontract):
            with apicontract.load(SPEC).client(base_url=URL, headers=AUTH, strict=False) as c:
                c.get("/fulfillments/bad")
            assert [r.conforms for r in apicontract.results] == [False]

        @pytest.mark.apicontract(strict=False)
        def test_lenient_marker(apicontract):
            with apicontract.load(SPEC).client(base_url=URL, headers=AUTH) as client:
                client.get("/fulfillments/bad")

        def test_async_client(apicontract):
            seen = []

            async def mine(response):
                seen.append(response.status_code)

            async def main():
                checker = apicontract.load(SPEC)
                hooks = {"response": [mine]}
                async with checker.async_client(base_url=URL, event_hooks=hooks) as client:
                    await client.get("/fulfillments/good", headers=AUTH)
                    await client.get("/fulfillments/bad")  # no credentials either

            asyncio.run(main())
            assert seen == [200, 200]

        @pytest.fixture
        def leaves_a_bad_call(apicontract):
            yield
            with apicontract.load(SPEC).client(base_url=URL, headers=AUTH) as client:
                client.get("/fulfillments/bad")

        def test_call_in_teardown(leaves_a_bad_call):
            pass
        """,
    )
    result = pytester.runpytest_subprocess(*PLUGIN, "--strict-markers", "-s", "-W", "error")
    result.assert_outcomes(passed=4, failed=3, errors=1)
    text = output(result)
    result.stdout.fnmatch_lines(
        [
            "*_ test_client_bad _*",
            "2 exchanges did not conform to the API contract:",
            "GET http://127.0.0.1:*/fulfillments/bad (getFulfillment, 200) does not conform*",
            "@ response body /quantity: wrong_type: *",
            "- expected: number",
            "+ actual: string",
            "@ response body /colour: unexpected_property: *",
            "POST http://127.0.0.1:*/fulfillments (createFulfillment, 201) does not conform*",
            "@ request body /order_line_item_id: missing_required: *",
            "- expected: order_line_item_id",
            "+ actual: (absent)",
        ]
    )
    assert "the test body ran to its end" in text
    # the test's own failure stays the failure; the contract diff is added to its report
    result.stdout.fnmatch_lines(
        [
            "*_ test_client_bad_and_own_failure _*",
            "*AssertionError: the test's own failure*",
            "*apicontract*",
            "1 exchange did not conform to the API contract:",
        ]
    )
    # the async client's own hook still runs, and credentials are part of the contract
    result.stdout.fnmatch_lines(
        [
            "*_ test_async_client _*",
            "@ request header /Authorization: missing_parameter: *",
        ]
    )
    # an exchange made after the test body (a fixture's teardown) fails the teardown
    result.stdout.fnmatch_lines(
        [
            "*_ ERROR at teardown of test_call_in_teardown _*",
            "1 exchange did not conform to the API contract:",
        ]
    )
    assert "pytest_plugin.py" not in text


# -- recording ---------------------------------------------------------------------------------
HAR_TESTS = """
    def test_calls(apicontract):
        checker = apicontract.load(SPEC)
        with checker.client(base_url=URL, headers=AUTH, strict=False) as client:
            client.get("/fulfillments/good", params={"fields[]": "id,quantity"})
            client.post(
                "/fulfillments",
                json={"order_line_item_id": "x", "fulfillment_date": "2024-03-01", "quantity": 1},
            )
            response = client.get("/fulfillments/bad")
        checker.check(response)  # already recorded by the hook: recorded once
        checker.check(httpx.get(URL + "/fulfillments/good", headers=AUTH))
"""


def test_record_writes_a_har_of_every_exchange(pytester: pytest.Pytester, server: str) -> None:
    inner(pytester, server, HAR_TESTS)
    result = pytester.runpytest_subprocess(*PLUGIN, "--apicontract-record=records/out.har")
    result.assert_outcomes(passed=1)
    path = pytester.path / "records/out.har"
    result.stdout.fnmatch_lines([f"apicontract: recorded 4 exchanges to {path}"])
    har = json.loads(path.read_text(encoding="utf-8"))
    log = har["log"]
    assert log["version"] == "1.2"
    assert log["creator"]["name"] == "apicontract"
    calls = [
        (e["request"]["method"], e["request"]["url"], e["response"]["status"])
        for e in log["entries"]
    ]
    assert calls == [
        ("GET", f"{server}/fulfillments/good?fields%5B%5D=id%2Cquantity", 200),
        ("POST", f"{server}/fulfillments", 201),
        ("GET", f"{server}/fulfillments/bad", 200),
        ("GET", f"{server}/fulfillments/good", 200),
    ]
    for entry in log["entries"]:
        assert_valid_har_entry(entry)
    first, post, bad, _ = log["entries"]
    assert first["request"]["queryString"] == [{"name": "fields[]", "value": "id,quantity"}]
    assert {"name": "Authorization", "value": "Bearer REDACTED"} in first["request"]["headers"]
    assert b"token" not in path.read_bytes()
    assert {"name": "Zuora-Request-Id", "value": REQUEST_ID} in first["response"]["headers"]
    assert "postData" not in first["request"]
    assert post["request"]["postData"]["mimeType"] == "application/json"
    assert json.loads(post["request"]["postData"]["text"])["quantity"] == 1
    assert json.loads(bad["response"]["content"]["text"])["quantity"] == "two"
    assert bad["response"]["content"]["mimeType"] == "application/json"
    assert [e["_apicontract"]["conforms"] for e in log["entries"]] == [True, True, False, True]
    assert not list(path.parent.glob("*.tmp"))  # the atomic write left nothing behind

    # the recording is real traffic: the engine's HAR reader gives the same verdicts
    contract = Contract.load(SPEC)
    exchanges = list(read_exchanges([str(path)]))
    assert all(isinstance(x, Exchange) for x in exchanges)
    verdicts = [contract.check(x).conforms for x in exchanges if isinstance(x, Exchange)]
    assert verdicts == [True, True, False, True]


def assert_valid_har_entry(entry: dict[str, Any]) -> None:
    """The required fields of a HAR 1.2 entry, with their types."""
    assert isinstance(entry["startedDateTime"], str) and entry["startedDateTime"].endswith("Z")
    assert isinstance(entry["time"], int | float) and entry["time"] >= 0
    assert entry["cache"] == {}
    timings = entry["timings"]
    assert all(isinstance(timings[k], int | float) and timings[k] >= 0 for k in ("send", "wait"))
    assert timings["receive"] >= 0
    request, response = entry["request"], entry["response"]
    for message in (request, response):
        assert message["httpVersion"] == "HTTP/1.1"
        assert message["cookies"] == []
        assert all(set(h) == {"name", "value"} for h in message["headers"])
        assert message["headersSize"] == -1
        assert isinstance(message["bodySize"], int)
    assert isinstance(request["queryString"], list)
    assert response["statusText"] == {200: "OK", 201: "Created"}[response["status"]]
    assert isinstance(response["redirectURL"], str)
    content = response["content"]
    assert content["size"] == len(content["text"].encode())


def test_record_without_exchanges_writes_an_empty_har(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess(*PLUGIN, "--apicontract-record", "empty.har")
    result.assert_outcomes(passed=1)
    har = json.loads((pytester.path / "empty.har").read_text(encoding="utf-8"))
    assert har["log"]["entries"] == []


CREDENTIAL_TESTS = """
    import sys

    sys.path.insert(0, {root!r})
    from tests.contract import upstream as up

    def test_calls(apicontract):
        checker = apicontract.load(up.SPEC)
        with checker.client(base_url={url!r}, strict=False, timeout=10) as client:
            up.exchange_all(client)
"""


@pytest.mark.parametrize("keep", [False, True])
def test_record_redacts_credentials_unless_kept(pytester: pytest.Pytester, keep: bool) -> None:
    """`--apicontract-record` writes REDACTED for the bearer token, the cookies and every
    parameter the spec's security schemes name; `--apicontract-keep-secrets` keeps them."""
    from tests.contract import upstream as up

    with up.upstream() as url:
        pytester.makepyfile(
            test_inner=textwrap.dedent(CREDENTIAL_TESTS).format(root=str(ROOT), url=url)
        )
        flags = ["--apicontract-keep-secrets"] if keep else []
        result = pytester.runpytest_subprocess(*PLUGIN, "--apicontract-record=out.har", *flags)
    result.assert_outcomes(passed=1)
    raw = (pytester.path / "out.har").read_bytes()
    for secret in up.SECRETS:
        assert (secret.encode() in raw) is keep, secret
    entries = json.loads(raw)["log"]["entries"]
    assert len(entries) == 8
    posted = entries[4]["request"]["postData"]
    assert posted["encoding"] == "base64" and base64.b64decode(posted["text"]) == up.BINARY
    # the recorded verdicts: only the exchange without any key misses its credentials
    missing = [
        i for i, e in enumerate(entries)
        if any(f["kind"] == "missing_parameter" for f in e["_apicontract"]["findings"])
    ]  # fmt: skip
    assert missing == [2]


# -- default spec, marker, registration --------------------------------------------------------
def test_default_spec_from_ini_option_and_marker(pytester: pytest.Pytester, server: str) -> None:
    pytester.makeini(f"[pytest]\napicontract_spec = {SPEC}\n")
    inner(
        pytester,
        server,
        """
        def test_ini_default(apicontract):
            assert apicontract.default.spec.name == "fulfillments.yaml"
            assert "quickstart" in str(apicontract.default.spec)
            apicontract.assert_conforms(httpx.get(URL + "/fulfillments/good", headers=AUTH))

        @pytest.mark.apicontract(spec="v1.yaml")
        def test_marker_default(apicontract):
            assert apicontract.default.spec.name == "v1.yaml"
            # the v1 spec has no /fulfillments/{id}: the exchange is undocumented there
            result = apicontract.check(httpx.get(URL + "/fulfillments/good", headers=AUTH))
            assert [f.kind.value for f in result.findings] == ["undocumented_operation"]

        def test_same_contract_object_for_the_session(apicontract):
            first = apicontract.load(SPEC).contract
            assert apicontract.default.contract is first
            pytest.shared = first

        def test_cache_is_shared_between_tests(apicontract):
            assert apicontract.load(SPEC).contract is pytest.shared
        """,
    )
    (pytester.path / "v1.yaml").write_bytes((ROOT / "specs/v1/fulfillments.yaml").read_bytes())
    result = pytester.runpytest_subprocess(*PLUGIN, "--strict-markers", "-p", "no:randomly")
    result.assert_outcomes(passed=4)

    # the command line beats the ini file
    inner(
        pytester,
        server,
        """
        def test_option(apicontract):
            assert apicontract.default.spec.name == "v1.yaml"
        """,
        name="test_option",
    )
    result = pytester.runpytest_subprocess(*PLUGIN, "--apicontract-spec=v1.yaml", "test_option.py")
    result.assert_outcomes(passed=1)


def test_without_a_default_spec_the_test_fails_clearly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_no_default(apicontract):
            apicontract.default

        def test_missing_file(apicontract):
            apicontract.load("no/such/spec.yaml")
        """
    )
    result = pytester.runpytest_subprocess(*PLUGIN)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*apicontract: no default spec; pass --apicontract-spec*",
            "*apicontract: cannot load spec *spec.yaml*",
        ]
    )


def test_options_marker_and_fixture_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(*PLUGIN, "--help")
    result.stdout.fnmatch_lines(["*--apicontract-spec=SPEC*", "*--apicontract-record=FILE.har*"])
    result.stdout.fnmatch_lines(["*apicontract_spec*"])
    result = pytester.runpytest_subprocess(*PLUGIN, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.apicontract(spec=None, strict=True):*"])
    result = pytester.runpytest_subprocess(*PLUGIN, "--fixtures")
    result.stdout.fnmatch_lines(["apicontract*", "*Check HTTP exchanges against an OpenAPI spec*"])


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(PLUGIN, id="entry-point-and-p"),
        pytest.param(("-p", "apicontract"), id="p-by-entry-point-name"),
        pytest.param((), id="entry-point-only"),
    ],
)
def test_entry_point_and_p_option_register_it_once(
    pytester: pytest.Pytester, server: str, args: tuple[str, ...]
) -> None:
    """With the `pytest11` entry point installed (a dist-info on PYTHONPATH stands in for
    `pip install`) the plugin loads by itself, and `-p generator.pytest_plugin` on top of it
    does not register it twice."""
    site = pytester.mkdir("site")
    dist = site / "apicontract_plugin_stub-0.0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: apicontract-plugin-stub\nVersion: 0.0.0\n"
    )
    (dist / "entry_points.txt").write_text("[pytest11]\napicontract = generator.pytest_plugin\n")
    inner(
        pytester,
        server,
        """
        def test_registered_once(apicontract, pytestconfig):
            manager = pytestconfig.pluginmanager
            module = __import__("generator.pytest_plugin", fromlist=["x"])
            names = [n for n, p in manager.list_name_plugin() if p is module]
            assert len(names) == 1, names
            apicontract.load(SPEC).assert_conforms(
                httpx.get(URL + "/fulfillments/good", headers=AUTH)
            )
        """,
    )
    env_path = os.pathsep.join([str(site), str(ROOT), os.environ.get("PYTHONPATH", "")])
    pytester._monkeypatch.setenv("PYTHONPATH", env_path)
    pytester._monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    # (hypothesis' own plugin is left out only to save its import time in the subprocess)
    result = pytester.runpytest_subprocess(*args, "--strict-markers", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=1)
    assert "already registered" not in output(result)


def test_plugin_is_cheap_to_load() -> None:
    """Loading the plugin (every pytest run once it is installed) does not import the engine."""
    import subprocess

    code = (
        "import sys, generator.pytest_plugin; "
        "print('generator.contract.check' in sys.modules, 'jsonschema_rs' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.split() == ["False", "False"]


def test_har_entry_of_a_response_built_by_hand() -> None:
    """An exchange that never went over the wire (no elapsed time) is still a valid entry, and
    no byte of either body is lost (the plugin's old writer replaced 0xFF in requests)."""
    import httpx

    from generator.contract.traffic.record import har_entry

    request = httpx.Request("POST", "https://example.test/fulfillments?a=1&a=2", content=b"\xff")
    response = httpx.Response(200, content=b"\x00\xfe", request=request)
    entry = har_entry(request, response)
    assert entry["time"] == 0 and entry["timings"]["wait"] == 0
    assert entry["request"]["queryString"] == [
        {"name": "a", "value": "1"},
        {"name": "a", "value": "2"},
    ]
    assert entry["request"]["postData"]["text"] == "/w=="
    assert entry["request"]["postData"]["encoding"] == "base64"
    assert entry["response"]["content"]["encoding"] == "base64"
    assert entry["response"]["content"]["text"] == "AP4="
    assert "_apicontract" not in entry
