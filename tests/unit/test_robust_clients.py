"""Clients retry what is safe to retry against a real misbehaving HTTP server, and waits keep polling
through transient errors, naming the component only when one persists (issue 13.3)."""

from __future__ import annotations

import threading
import time

import pytest

from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.clients import PromClient, ServiceClient, SinkClient
from harness.clients.http import RETRIES, Unavailable
from harness.errors import ExpectationFailed, InfrastructureError, TransientError
from tests.unit.flaky_http import Script, flaky, free_port

QUERY = {"status": "success", "data": {"resultType": "vector", "result": [
    {"metric": {"__name__": "up"}, "value": [1.0, "1"]}]}}


def test_idempotent_get_is_retried_through_resets_and_503s() -> None:
    script = Script(faults={"/records": ["reset", 503]}, bodies={"/records": [
        {"kind": "tap", "receiver": "r", "received_at": 1.0, "body": {}}]})
    with flaky(script) as url:
        notes = SinkClient(url).all()
    assert [n.receiver for n in notes] == ["r"]
    assert script.count("/records") == 3


def test_promql_through_prometheus_api_client_is_retried() -> None:
    script = Script(faults={"/api/v1/query": [503, "reset"]}, bodies={"/api/v1/query": QUERY})
    with flaky(script) as url:
        samples = PromClient(url).query("up")
    assert [s.value for s in samples] == [1.0]
    assert script.count("/api/v1/query") == 3


def test_persistent_503_names_the_component_after_the_retries() -> None:
    script = Script(faults={"/records": [503] * 10})
    with flaky(script) as url, pytest.raises(Unavailable) as raised:
        SinkClient(url).raw()
    assert raised.value.component == "sink" and "503" in str(raised.value)
    assert script.count("/records") == RETRIES + 1
    assert isinstance(raised.value, InfrastructureError)


def test_post_is_not_retried_on_a_server_answer() -> None:
    script = Script(faults={"/admin/faults/latency": [503, 503]})
    with flaky(script) as url, pytest.raises(Unavailable) as raised:
        ServiceClient("frontend", url).set_fault("latency", {"ms": 5})
    assert raised.value.component == "frontend"
    assert script.count("/admin/faults/latency") == 1


def test_post_is_not_retried_after_a_reset() -> None:
    script = Script(faults={"/admin/faults/latency": ["reset"]})
    with flaky(script) as url, pytest.raises(Unavailable):
        ServiceClient("frontend", url).set_fault("latency", {"ms": 5})
    assert script.count("/admin/faults/latency") == 1


def test_post_is_retried_on_connection_refused() -> None:
    """Nothing listens at first (connection refused: the server never saw the request); it comes up during
    the client's backoff and the POST arrives once."""
    port, script = free_port(), Script(bodies={"/admin/faults/latency": {"ok": True}})
    up = threading.Event()

    def start_later() -> None:
        time.sleep(0.2)
        with flaky(script, port):
            up.set()
            time.sleep(3)

    threading.Thread(target=start_later, daemon=True).start()
    assert ServiceClient("frontend", f"http://127.0.0.1:{port}").set_fault("latency", {}) == {"ok": True}
    assert up.is_set() and script.count("/admin/faults/latency") == 1


def test_refused_connection_is_transient_and_named() -> None:
    with pytest.raises(Unavailable) as raised:
        PromClient(f"http://127.0.0.1:{free_port()}").query("up")
    assert raised.value.component == "prometheus" and "refused" in str(raised.value)


def test_wait_keeps_polling_through_transient_errors() -> None:
    calls = iter([TransientError("prometheus", "connection reset"), TransientError("prometheus", "answered 503"),
                  None, "seen"])

    def check() -> str | None:
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    result, _ = eventually(check, Bound.of(5.0), "x", interval=0.01)
    assert result == "seen"


def test_a_miss_reports_the_transient_errors_it_saw() -> None:
    errors = [TransientError("prometheus", "connection reset")] * 3

    def check() -> None:
        if errors:
            raise errors.pop()

    with pytest.raises(ExpectationFailed) as raised:
        eventually(check, Bound.of(0.3), "PromQL 'up' returned no series", lambda: "closest: up = 0",
                   interval=0.01)
    text = str(raised.value)
    assert "closest: up = 0" in text
    assert "3 transient errors from prometheus: connection reset" in text


def test_a_persistent_transient_error_fails_naming_the_component() -> None:
    def check() -> None:
        raise TransientError("alertmanager", "connection refused")

    with pytest.raises(TransientError) as raised:
        eventually(check, Bound.of(0.2), "notifications of receiver ops", interval=0.01)
    assert not isinstance(raised.value, ExpectationFailed)
    assert raised.value.component == "alertmanager"
    assert "notifications of receiver ops" in str(raised.value) and "still failing" in str(raised.value)


def test_a_wait_against_a_real_resetting_server_recovers() -> None:
    script = Script(faults={"/records": ["reset"] * 6}, bodies={"/records": [
        {"kind": "tap", "receiver": "ops", "received_at": 1.0, "body": {}}]})
    with flaky(script) as url:
        sink = SinkClient(url)
        notes, _ = eventually(lambda: sink.taps(), Bound.of(10.0), "taps", interval=0.01)
    assert notes[0].receiver == "ops"


def test_other_errors_still_end_the_wait_at_once() -> None:
    def check() -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        eventually(check, Bound.of(5.0), "x", interval=0.01)


def test_elasticsearch_connection_errors_are_transient() -> None:
    from harness.clients.elasticsearch import EsClient
    from harness.clients.http import transient

    es = EsClient(f"http://127.0.0.1:{free_port()}", timeout=1.0)
    with pytest.raises(Exception) as raised:
        es.count()
    found = transient(raised.value)
    assert found is not None and found.component == "elasticsearch"
