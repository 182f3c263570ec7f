"""Operators on alertmanager.yml: a route's matcher or receiver swapped, `continue` flipped, an inhibit rule
widened (its `equal` dropped), `group_by` narrowed, a receiver's channel or recipient changed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from harness.config import SourceConfig
from harness.mutate.mutant import Mutant, dump, edited

FILE = "alertmanager/alertmanager.yml"
WRONG_CHANNEL = "#obsdrill-mutant"
WRONG_EMAIL = "nobody@obsdrill-mutant.invalid"


def _routes(route: dict[str, Any], path: str = "route") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, route
    for i, child in enumerate(route.get("routes") or []):
        yield from _routes(child, f"{path}.routes[{i}]")


def _subtree_receivers(route: dict[str, Any]) -> tuple[str, ...]:
    """The receivers of a route and every route under it (what a change to an inherited field touches)."""
    return tuple(dict.fromkeys(str(r["receiver"]) for _, r in _routes(route) if "receiver" in r))


def _at(doc: dict[str, Any], path: str) -> dict[str, Any]:
    node = doc["route"]
    for part in path.split(".")[1:]:
        node = node["routes"][int(part[len("routes["):-1])]
    return node


def _matchers(route: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of a route's equality matchers, `match:` or `matchers:` ("k=v" / k="v")."""
    found = [(str(k), str(v)) for k, v in (route.get("match") or {}).items()]
    for text in route.get("matchers") or []:
        key, sep, value = str(text).partition("=")
        if sep and not key.endswith(("!", "=")) and not value.startswith("~"):
            found.append((key.strip(), value.strip().strip('"')))
    return found


def _set_matcher(route: dict[str, Any], key: str, value: str) -> None:
    if key in (route.get("match") or {}):
        route["match"][key] = value
        return
    route["matchers"] = [f'{key}="{value}"' if str(m).partition("=")[0].strip() == key else m
                         for m in route["matchers"]]


def _mutant(op: str, subject: str, description: str, doc: dict[str, Any], receivers: tuple[str, ...],
            names: tuple[str, ...]) -> Mutant:
    return Mutant(f"{op}:{subject}", op, description, FILE, dump(doc), receivers=receivers, names=names)


def matcher_swapped(source: SourceConfig) -> Iterator[Mutant]:
    routes = list(_routes(source.alertmanager["route"]))
    for path, route in routes:
        for key, value in _matchers(route):
            other = next((v for _, r in routes for k, v in _matchers(r) if k == key and v != value), None)
            if other is None:
                continue
            doc = edited(source.alertmanager)
            _set_matcher(_at(doc, path), key, other)
            receiver = str(route.get("receiver", ""))
            yield _mutant("route-matcher-swapped", f"{path}:{key}", f"{path} ({receiver}) matches {key}={other} "
                          f"instead of {key}={value}", doc, (receiver,), (receiver,))


def receiver_swapped(source: SourceConfig) -> Iterator[Mutant]:
    names = source.receivers()
    for path, route in list(_routes(source.alertmanager["route"]))[1:]:
        old = route.get("receiver")
        top = source.alertmanager["route"].get("receiver")
        new = next((n for n in [*[n for n in names if n != top], top] if n and n != old), None)  # the catch-all last
        if old is None or new is None:
            continue
        doc = edited(source.alertmanager)
        _at(doc, path)["receiver"] = new
        yield _mutant("route-receiver-swapped", path, f"{path} sends to {new} instead of {old}", doc,
                      (str(old), new), (new,))


def continue_flipped(source: SourceConfig) -> Iterator[Mutant]:
    for path, route in list(_routes(source.alertmanager["route"]))[1:]:
        doc = edited(source.alertmanager)
        now = not bool(route.get("continue", False))
        _at(doc, path)["continue"] = now
        receiver = str(route.get("receiver", ""))
        yield _mutant("continue-flipped", path, f"{path} ({receiver}) continue: {str(now).lower()}", doc,
                      (receiver,), (receiver,))


def inhibit_widened(source: SourceConfig) -> Iterator[Mutant]:
    for i, rule in enumerate(source.alertmanager.get("inhibit_rules") or []):
        if not rule.get("equal"):
            continue
        doc = edited(source.alertmanager)
        del doc["inhibit_rules"][i]["equal"]
        wanted = [*_matchers({"match": rule.get("source_match"), "matchers": rule.get("source_matchers")}),
                  *_matchers({"match": rule.get("target_match"), "matchers": rule.get("target_matchers")})]
        alerts = tuple(r.name for r in source.rules() if any(r.label(k) == v for k, v in wanted))
        mutant = _mutant("inhibit-widened", f"inhibit_rules[{i}]", f"inhibit_rules[{i}] without equal "
                         f"{rule['equal']}: inhibits across every {', '.join(rule['equal'])}", doc, (), ("inhib",))
        yield dataclasses.replace(mutant, alerts=alerts)


def group_by_narrowed(source: SourceConfig) -> Iterator[Mutant]:
    for path, route in _routes(source.alertmanager["route"]):
        labels = route.get("group_by") or []
        for label in labels:
            if label == "...":
                continue
            doc = edited(source.alertmanager)
            _at(doc, path)["group_by"] = [x for x in labels if x != label]
            yield dataclasses.replace(_mutant("group-by-narrowed", f"{path}:{label}", f"{path} group_by without "
                                              f"{label}", doc, _subtree_receivers(route), ("group",)), grouping=True)


# (integration list, field, wrong value): a receiver's channel or recipient
RECIPIENTS = (("slack_configs", "channel", WRONG_CHANNEL), ("email_configs", "to", WRONG_EMAIL))


def _integration_edits(receiver: dict[str, Any]) -> Iterator[tuple[str, str, Callable[[dict[str, Any]], None]]]:
    for kind, key, wrong in RECIPIENTS:
        for i, cfg in enumerate(receiver.get(kind) or []):
            if key in cfg:
                def edit(r: dict[str, Any], kind: str = kind, i: int = i, key: str = key, wrong: str = wrong) -> None:
                    r[kind][i][key] = wrong
                yield f"{kind}[{i}].{key}", f"{kind.split('_')[0]} {key} {cfg[key]} -> {wrong}", edit


def channel_changed(source: SourceConfig) -> Iterator[Mutant]:
    for ri, receiver in enumerate(source.alertmanager.get("receivers") or []):
        for where, description, edit in _integration_edits(receiver):
            doc = edited(source.alertmanager)
            edit(doc["receivers"][ri])
            name = str(receiver["name"])
            yield _mutant("recipient-changed", f"{name}:{where}", f"receiver {name}: {description}", doc,
                          (name,), (description.rsplit(" -> ", 1)[1],))


def alertmanager_mutants(source: SourceConfig) -> Iterator[Mutant]:
    for operator in (matcher_swapped, receiver_swapped, continue_flipped, inhibit_widened, group_by_narrowed,
                     channel_changed):
        yield from operator(source)
