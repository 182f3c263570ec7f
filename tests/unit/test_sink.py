"""The notification sink as a real process: HTTP receiver and SMTP server on loopback."""

import json
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests

from harness.clients import SinkClient

pytestmark = pytest.mark.slow  # starts the sink as a process


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sink() -> Iterator[tuple[SinkClient, int]]:
    http, smtp = _free_port(), _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "synthetic_services", "sink", "--port", str(http),
                             "--smtp-port", str(smtp)], stdout=subprocess.DEVNULL)
    client = SinkClient(f"http://127.0.0.1:{http}")
    try:
        for _ in range(50):
            try:
                requests.get(f"{client.url}/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield client, smtp
    finally:
        proc.terminate()
        proc.wait(10)


def test_sink_records_webhooks_and_mail(sink: tuple[SinkClient, int]) -> None:
    client, smtp_port = sink
    payload = {"receiver": "critical-alerts", "status": "firing", "alerts": [{"labels": {"alertname": "X"}}]}
    requests.post(f"{client.url}/tap/critical-alerts", data=json.dumps(payload), timeout=5).raise_for_status()
    with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
        smtp.sendmail("a@test", ["b@test"], "Subject: [CRITICAL] X\n\nbody text")
    notes = client.all()
    assert [n.kind for n in notes] == ["tap", "email"]
    assert notes[0].receiver == "critical-alerts" and notes[0].alertnames() == ["X"] and notes[0].status == "firing"
    assert notes[1].subject == "[CRITICAL] X"
    client.clear()
    assert client.all() == []


def test_a_failing_receiver_answers_5xx_counts_and_recovers(sink: tuple[SinkClient, int]) -> None:
    client, _ = sink
    payload = {"receiver": "ops", "status": "firing", "alerts": []}
    assert client.fail(503) == {"failing": True, "status": 503, "refused": 0}
    for _ in range(2):
        assert requests.post(f"{client.url}/tap/ops", data=json.dumps(payload), timeout=5).status_code == 503
    assert client.all() == []  # refused deliveries are not recorded
    assert client.stop_failing() == {"failing": False, "status": None, "refused": 2}
    requests.post(f"{client.url}/tap/ops", data=json.dumps(payload), timeout=5).raise_for_status()
    assert [n.receiver for n in client.taps()] == ["ops"]
    assert requests.put(f"{client.url}/admin/fail", json={"status": 200}, timeout=5).status_code == 400
