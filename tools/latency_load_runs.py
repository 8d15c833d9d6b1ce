"""sluice-load runs in tools/latency-report: --load NAME=DIR reads DIR/summary.json (what
sluice-load --out writes) and adds a table of its own to the report, below the ping-pong
table: offered and answered rates, latency percentiles (the full round trip, from each
request's intended send time), the generator's schedule lag, the honesty checks and the
run's verdict. Standard library only."""

import html
import json
import os

PERCENTILES = ["p50", "p90", "p99", "p99.9", "p99.99", "max"]


class LoadRunError(Exception):
    pass


def read(name, folder, describe=None):
    path = os.path.join(folder, "summary.json")
    try:
        with open(path, encoding="utf-8") as handle:
            summary = json.load(handle)
    except OSError as error:
        raise LoadRunError(f"--load {name}={folder}: cannot read {path} ({error.strerror})") from None
    except ValueError as error:
        raise LoadRunError(f"--load {name}={folder}: {path} is not JSON ({error})") from None
    if summary.get("tool") != "sluice-load" or summary.get("format") != 1:
        raise LoadRunError(f"--load {name}={folder}: {path} is not a sluice-load summary (format 1)")
    checks = summary.get("checks", {})
    return {
        "name": name, "folder": folder, "describe": describe,
        "workload": summary.get("workload"), "mode": summary.get("mode"), "arrivals": summary.get("arrivals"),
        "offered_rate": summary.get("offered_rate"), "achieved_rate": summary.get("achieved_rate"),
        "latency_us": summary.get("latency_us", {}), "schedule_lag_us": summary.get("schedule_lag_us", {}),
        "requests": summary.get("requests", {}),
        "checks": {key: bool(value.get("passed")) for key, value in checks.items()},
        "valid": bool(summary.get("valid")), "invalid_reason": summary.get("invalid_reason"),
    }


def _us(value):
    if value is None:
        return "—"
    return f"{value:.2f}" if value < 100 else f"{value:,.0f}"


def rows(runs):
    header = ["sluice-load run", "mode", "offered/s", "answered/s"] + [f"{p} µs" for p in PERCENTILES] + \
             ["lag p99.9 µs", "checks", "verdict"]
    body = []
    for run in runs:
        checks = ", ".join(f"{key} {'pass' if ok else 'FAIL'}" for key, ok in run["checks"].items()) or "—"
        mode = "closed loop" if run["mode"] == "closed" else f"open, {run['arrivals']}"
        lag = run["schedule_lag_us"].get("p99.9") if run["mode"] != "closed" else None
        # The table keeps the kind of fault; the whole reason is in the notes below it.
        verdict = "valid" if run["valid"] else "INVALID: " + str(run["invalid_reason"]).split(":")[0]
        body.append([run["name"], mode, f"{run['offered_rate'] or 0:,.0f}", f"{run['achieved_rate'] or 0:,.0f}"]
                    + [_us(run["latency_us"].get(p)) for p in PERCENTILES] + [_us(lag), checks, verdict])
    return header, body


NOTE = ("sluice-load latency is the whole round trip, counted from each request's intended send time "
        "(open loop) or from when it left (closed loop); halve it to set it beside the ping-pong table's "
        "half round trips. A run whose generator fell behind its schedule is INVALID and its latencies "
        "describe the generator, not the server.")


def markdown(runs):
    if not runs:
        return []
    header, body = rows(runs)
    out = ["", "### sluice-load runs", "", "| " + " | ".join(header) + " |",
           "|---|---|" + "---:|" * (len(header) - 4) + "---|---|"]
    out += ["| " + " | ".join(row) + " |" for row in body]
    out += ["", f"- {NOTE}"]
    out += [f"- {line}" for line in _run_notes(runs)]
    return out


def _run_notes(runs):
    lines = []
    for run in runs:
        if run["describe"]:
            lines.append(f"{run['name']}: {run['describe']}")
        if not run["valid"]:
            lines.append(f"{run['name']}: INVALID: {run['invalid_reason']}")
    return lines


def html_section(runs):
    if not runs:
        return ""
    header, body = rows(runs)
    e = html.escape
    parts = ["<h2>sluice-load runs</h2>", "<table>", "<tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>"]
    for row in body:
        parts.append("<tr>" + f"<th>{e(row[0])}</th>" + "".join(f"<td>{e(c)}</td>" for c in row[1:]) + "</tr>")
    parts.append("</table>")
    parts.append(f"<p>{e(NOTE)}</p>")
    parts += ["<ul>"] + [f"<li>{e(line)}</li>" for line in _run_notes(runs)] + ["</ul>"]
    return "\n".join(parts)
