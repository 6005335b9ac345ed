"""The insights figures as CSV rows (shared by the API and the CLI). Durations are in whole
seconds; an empty cell is an unknown figure, never zero. Written by core.csv_export, so a
name that starts like a formula opens as text."""

from incidentdesk.core.csv_export import csv_text
from incidentdesk.insights.sql import METRICS

FIGURES = ("count", "unknown", "mean", "median", "p90")


def _duration_headers() -> list[str]:
    return [
        f"{m}_{f}" if f in ("count", "unknown") else f"{m}_{f}_seconds"
        for m in METRICS
        for f in FIGURES
    ]


def _duration_cells(durations: dict) -> list:
    cells = []
    for metric in METRICS:
        stats = durations[metric]
        cells += [stats["count"], stats["unknown"]]
        cells += [stats[f]["seconds"] for f in ("mean", "median", "p90")]
    return cells


# Users affected: the sum over the incidents that give a number, and how many give none.
USERS_HEADERS = ["users_affected", "users_affected_known", "users_affected_unknown"]


def _users_cells(users: dict) -> list:
    return [users["count"], users["known"], users["unknown"]]


def summary_csv(data: dict) -> str:
    """One row per period (current, previous)."""
    severities = list(data["current"]["by_severity"])
    actions = ("total", "done", "pending", "overdue", "wont_do")
    header = ["period", "since", "until", "incidents", "open"]
    header += [f"severity_{k}" for k in severities] + _duration_headers()
    header += [f"actions_{a}" for a in actions] + USERS_HEADERS
    rows = [header]
    for period in ("current", "previous"):
        p = data[period]
        row = [period, p["since"], p["until"], p["incidents"], p["open"]]
        row += [p["by_severity"][k] for k in severities] + _duration_cells(p["durations"])
        row += [p["actions"][a] for a in actions] + _users_cells(p["users_affected"])
        rows.append(row)
    return csv_text(rows)


def timeseries_csv(data: dict) -> str:
    buckets = data["buckets"]
    severities = list(buckets[0]["by_severity"]) if buckets else []
    severity_headers = [f"severity_{k}" for k in severities]
    rows = [["start", "incidents", *severity_headers, *_duration_headers(), *USERS_HEADERS]]
    for b in buckets:
        rows.append(
            [
                b["start"],
                b["incidents"],
                *(b["by_severity"][k] for k in severities),
                *_duration_cells(b["durations"]),
                *_users_cells(b["users_affected"]),
            ]
        )
    return csv_text(rows)


def breakdown_csv(data: dict) -> str:
    rows = [[data["by"], "incidents", *_duration_headers(), *USERS_HEADERS]]
    for r in data["rows"]:
        cells = [*_duration_cells(r["durations"]), *_users_cells(r["users_affected"])]
        rows.append([r["key"], r["incidents"], *cells])
    return csv_text(rows)


def disasters_csv(data: dict) -> str:
    """One row per kind (`disasters`, `drills`) and system; `declared` is how many of that kind
    there were (a disaster can affect several systems)."""
    rows = [
        [
            "kind",
            "declared",
            "system",
            "affected",
            "rto_seconds",
            "rpo_seconds",
            *(
                f"{measure}_{figure}"
                for measure in ("recovery_time", "data_lost")
                for figure in (
                    "count",
                    "unknown",
                    "median_seconds",
                    "worst_seconds",
                    "met",
                    "missed",
                )
            ),
        ]
    ]
    for kind in ("disasters", "drills"):
        for r in data[kind]["systems"]:
            row = [kind, data[kind]["count"], r["system"], r["affected"]]
            row += [r["rto"]["seconds"], r["rpo"]["seconds"]]
            for measure in ("recovery_time", "data_lost"):
                m = r[measure]
                row += [m["count"], m["unknown"], m["median"]["seconds"], m["worst"]["seconds"]]
                row += [m["met"], m["missed"]]
            rows.append(row)
    return csv_text(rows)
