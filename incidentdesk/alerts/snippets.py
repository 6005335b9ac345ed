"""What to paste into a sender once its integration is made: shown with the key, that once.
Each snippet is (title, text, note) with the integration's own URL and key in place."""

import json

from incidentdesk.alerts.models import Integration, IntegrationKind

Snippet = tuple[str, str, str]


def _alertmanager(url: str) -> list[Snippet]:
    config = (
        "route:\n"
        "  receiver: incidentdesk\n"
        "receivers:\n"
        "  - name: incidentdesk\n"
        "    webhook_configs:\n"
        f"      - url: {url}\n"
        "        send_resolved: true\n"
    )
    note = (
        "In alertmanager.yml. Keep send_resolved on, or groups never resolve. To keep the key "
        "out of a file kept in version control, put the URL alone in a file and name it with "
        "url_file instead of url."
    )
    return [("Alertmanager receiver", config, note)]


def _grafana(integration: Integration, url: str) -> list[Snippet]:
    steps = f"Integration: Webhook\nURL:         {url}\nHTTP Method: POST\n"
    found = [
        (
            "Grafana contact point",
            steps,
            "Alerting › Contact points › New contact point; then use it in a notification policy.",
        )
    ]
    secret = integration.signing_secret()
    if secret:
        signing = (
            f"Secret:           {secret}\n"
            "Header:           X-Grafana-Alerting-Signature\n"
            "Timestamp Header: X-Grafana-Alerting-Signature-Timestamp\n"
        )
        found.append(
            (
                "HMAC Signature (under Optional Webhook settings)",
                signing,
                "Requests without a valid signature, or more than five minutes old, are refused.",
            )
        )
    return found


def _pagerduty(url: str, key: str) -> list[Snippet]:
    receiver = (
        "receivers:\n"
        "  - name: incidentdesk-pd\n"
        "    pagerduty_configs:\n"
        f"      - routing_key: {key}\n"
        f"        url: {url}\n"
    )
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "db-primary-disk",
        "payload": {"summary": "Disk 95% full", "source": "db-primary", "severity": "critical"},
    }
    curl = (
        f"curl -X POST {url} \\\n  -H 'Content-Type: application/json' \\\n"
        f"  -d '{json.dumps(event)}'\n"
    )
    return [
        (
            "Any tool speaking PagerDuty's Events API v2",
            f"Events API URL: {url}\nIntegration (routing) key: {key}\n",
            "Put the URL where the tool has https://events.pagerduty.com/v2/enqueue.",
        ),
        ("Alertmanager's PagerDuty receiver", receiver, ""),
        ("A test event", curl, "Send event_action resolve with the same dedup_key to resolve it."),
    ]


def _generic(url: str) -> list[Snippet]:
    alert = {
        "key": "db-primary-disk",
        "group": "db-primary",
        "status": "firing",
        "summary": "Disk 95% full",
        "severity": "critical",
        "labels": {"team": "db"},
    }
    curl = (
        f"curl -X POST {url} \\\n  -H 'Content-Type: application/json' \\\n"
        f"  -d '{json.dumps(alert)}'\n"
    )
    return [
        (
            "Send an alert",
            curl,
            'Send "status": "resolved" with the same key to resolve it. The shape is in '
            "docs/alerts.md.",
        )
    ]


def snippets(integration: Integration, url: str, key: str) -> list[Snippet]:
    """The set-up text for the integration's kind (none for email: mail comes in by the
    mail gateway)."""
    kind = integration.kind
    if kind == IntegrationKind.ALERTMANAGER:
        return _alertmanager(url)
    if kind == IntegrationKind.GRAFANA:
        return _grafana(integration, url)
    if kind == IntegrationKind.PAGERDUTY:
        return _pagerduty(url, key)
    if kind == IntegrationKind.GENERIC:
        return _generic(url)
    return []
