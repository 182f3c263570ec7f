"""The sink's client analytics stand-ins (synthetic_services/analytics.py): GA4's Measurement Protocol and
Mixpanel's /track parsed as the services validate them; and the harness's table of what the browsers sent."""

from __future__ import annotations

import base64
import json
from collections import Counter

from harness.assertions.analytics import AnalyticsTable, expected_events
from harness.load import MadeRequest
from synthetic_services.analytics import ga4_events, mixpanel_events

QUERY = "measurement_id=G-XXXXXXXXXX&api_secret=s"


def _ga4(events: object, client: object = "c1") -> bytes:
    return json.dumps({"client_id": client, "events": events}).encode()


def test_ga4_measurement_protocol_requests_are_validated() -> None:
    events, problems = ga4_events(QUERY, _ga4([{"name": "sign_up", "params": {"page": "/"}}]))
    assert problems == [] and events[0] | {"params": None} == {
        "provider": "ga4", "event": "sign_up", "params": None, "client_id": "c1", "user_id": None,
        "measurement_id": "G-XXXXXXXXXX"}
    assert ga4_events("api_secret=s", _ga4([{"name": "sign_up"}]))[1] == ["query: measurement_id is required"]
    assert ga4_events(QUERY, _ga4([{"name": "1bad"}]))[1] == ["body.events[0].name: '1bad' is not a valid event name"]
    assert ga4_events(QUERY, _ga4([]))[1] == ["body.events: a list of 1 to 25 events is required"]
    assert ga4_events(QUERY, _ga4([{"name": "x"}], client=""))[0] == []
    assert ga4_events(QUERY, b"{")[1] == ["body: not JSON"]


def test_mixpanel_track_takes_form_encoded_base64_and_json_arrays() -> None:
    event = {"event": "Sign Up", "properties": {"token": "t", "distinct_id": "u1"}}
    form = b"data=" + base64.b64encode(json.dumps(event).encode()).rstrip(b"=")
    assert mixpanel_events("application/x-www-form-urlencoded", form)[0][0]["event"] == "Sign Up"
    plain = ("data=" + json.dumps(event)).encode()
    assert mixpanel_events("application/x-www-form-urlencoded", plain)[1] == []
    both, problems = mixpanel_events("application/json", json.dumps([event, event]).encode())
    assert len(both) == 2 and problems == []
    no_token = {"event": "Sign Up", "properties": {"distinct_id": "u1"}}
    assert mixpanel_events("application/json", json.dumps([event, no_token]).encode()) == (
        [], ["[1].properties: token and distinct_id are required"])
    assert mixpanel_events("application/x-www-form-urlencoded", b"data=%%%")[1] == [
        "data: neither JSON nor base64 JSON"]


def test_the_table_counts_the_browsers_successful_calls_of_the_plan() -> None:
    made = [MadeRequest("browser", "POST", "/api/auth/register", 201, "r1", 1.0),
            MadeRequest("browser", "POST", "/api/auth/register", 503, "r2", 1.0),
            MadeRequest("register", "POST", "/api/auth/register", 201, "r3", 1.0),  # Locust's: no page, no event
            MadeRequest("browser", "GET", "/api/jobs", 200, "r4", 1.0)]
    assert expected_events(made) == {"sign_up": 1}
    table = AnalyticsTable(expected_events(made), {"ga4": Counter({"sign_up": 1}),
                                                   "mixpanel": Counter({"Sign Up": 2})})
    assert table.problems() == ["Mixpanel 'Sign Up': the browsers' successful calls made 1, the sink's Mixpanel "
                                "endpoint accepted 2"]
    assert "sign_up" in table.text().splitlines()[1]
