"""The client analytics SaaS the page reports to, as real protocol endpoints of the sink: GA4's Measurement
Protocol (``POST /mp/collect?measurement_id=G-...&api_secret=...``, JSON ``{client_id, events: [{name,
params}]}``; ``/debug/mp/collect`` answers its validation messages) and Mixpanel's ingestion API (``POST
/track``: ``data=<JSON or base64 JSON>`` form-encoded, or a JSON array; an event or a list of them, each
``{event, properties: {token, distinct_id, ...}}``). Each parser returns the events it accepted and the
problems that made it reject the rest, as the services validate what they are sent."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from urllib.parse import parse_qs

GA4_EVENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")  # the Measurement Protocol's event name rule
GA4_MAX_EVENTS = 25  # events per request


def ga4_events(query: str, body: bytes) -> tuple[list[dict[str, Any]], list[str]]:
    """The events of one Measurement Protocol request, and what is wrong with it (GA drops those events)."""
    params = parse_qs(query)
    problems = [f"query: {key} is required" for key in ("measurement_id", "api_secret") if not params.get(key)]
    try:
        doc = json.loads(body or b"null")
    except ValueError:
        return [], [*problems, "body: not JSON"]
    if not isinstance(doc, dict) or not isinstance(doc.get("client_id"), str) or not doc["client_id"]:
        return [], [*problems, "body.client_id: a non-empty string is required"]
    events = doc.get("events")
    if not isinstance(events, list) or not 1 <= len(events) <= GA4_MAX_EVENTS:
        return [], [*problems, f"body.events: a list of 1 to {GA4_MAX_EVENTS} events is required"]
    accepted = []
    for i, event in enumerate(events):
        name = event.get("name") if isinstance(event, dict) else None
        if not isinstance(name, str) or not GA4_EVENT_NAME.match(name):
            problems.append(f"body.events[{i}].name: {name!r} is not a valid event name")
            continue
        accepted.append({"provider": "ga4", "event": name, "params": event.get("params") or {},
                         "client_id": doc["client_id"], "user_id": doc.get("user_id"),
                         "measurement_id": (params.get("measurement_id") or [""])[0]})
    return ([] if problems else accepted), problems


def _mixpanel_payload(content_type: str, body: bytes) -> Any:
    if content_type.startswith("application/json"):
        return json.loads(body)
    data = (parse_qs(body.decode(errors="replace")).get("data") or [""])[0]
    try:
        return json.loads(data)
    except ValueError:
        return json.loads(base64.b64decode(data + "=" * (-len(data) % 4)))


def mixpanel_events(content_type: str, body: bytes) -> tuple[list[dict[str, Any]], list[str]]:
    """The events of one /track request, and what is wrong with it (Mixpanel answers 0 for it)."""
    try:
        payload = _mixpanel_payload(content_type, body)
    except (ValueError, binascii.Error):
        return [], ["data: neither JSON nor base64 JSON"]
    events = payload if isinstance(payload, list) else [payload]
    accepted, problems = [], []
    for i, event in enumerate(events):
        props = event.get("properties") if isinstance(event, dict) else None
        if not isinstance(event, dict) or not isinstance(event.get("event"), str) or not isinstance(props, dict):
            problems.append(f"[{i}]: an object with event and properties is required")
        elif not props.get("token") or not props.get("distinct_id"):
            problems.append(f"[{i}].properties: token and distinct_id are required")
        else:
            accepted.append({"provider": "mixpanel", "event": event["event"], "properties": props})
    return ([] if problems else accepted), problems
