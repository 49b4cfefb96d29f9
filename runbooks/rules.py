"""Prometheus' alert rules against the runbook library: every rule's `runbook_url` should
lead to a local section, and every alert a section claims should be one some rule
defines. Pure: the rules come in as data (`tui.commands.runbooks` asks Prometheus)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbooks.library import Library
from runbooks.model import Problem
from runbooks.urls import resolve


@dataclass(frozen=True)
class AlertRule:
    name: str
    runbook_url: str
    group: str = ""


def rules_from_api(data: Mapping[str, Any]) -> list[AlertRule]:
    """The alerting rules in a `/api/v1/rules` answer."""
    out: list[AlertRule] = []
    groups = (data.get("data") or {}).get("groups") or []
    for group in groups:
        for rule in group.get("rules") or []:
            if rule.get("type") != "alerting":
                continue
            annotations = rule.get("annotations") or {}
            out.append(AlertRule(str(rule.get("name", "")),
                                 str(annotations.get("runbook_url") or ""),
                                 str(group.get("name", ""))))
    return out


def lint_rules(rules: Iterable[AlertRule], library: Library, source: str,
               prefixes: Mapping[str, Path | str] | None = None) -> list[Problem]:
    """Errors for rules whose runbook_url leads nowhere local; warnings for local sections
    that claim an alert no rule defines (a renamed or deleted rule)."""
    rules = list(rules)
    problems: list[Problem] = []
    for rule in rules:
        if rule.runbook_url and resolve(rule.runbook_url, library, prefixes) is None:
            problems.append(Problem(source, f"alert rule {rule.name} ({rule.group}): "
                                            f"runbook_url {rule.runbook_url} resolves to no "
                                            "local runbook section"))
    defined = {rule.name for rule in rules}
    claimed: dict[str, str] = {}
    for section in library.sections:
        if section.bundled:
            continue
        for alert in section.alerts:
            claimed.setdefault(alert, section.ref)
    for alert, ref in sorted(claimed.items()):
        if alert not in defined:
            problems.append(Problem(ref, f"claims alert {alert}, which no Prometheus rule at "
                                         f"{source} defines", severity="warning"))
    return problems
