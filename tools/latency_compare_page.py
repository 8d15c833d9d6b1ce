"""The pages of `tools/latency-report compare`: compare.md and compare.html from the report
that tools/latency_compare.py builds (its JSON, as written to compare.json). Standard
library only; the HTML holds its plots as inline SVG, with no scripts and nothing fetched.
"""

import html
import math

PLOTTED = ["p50", "p90", "p99", "p99.9", "p99.99", "p99.999", "max"]
# x position of each percentile in nines, -log10(1 - q); max one step right of p99.999.
NINES = {"p50": math.log10(2), "p90": 1.0, "p99": 2.0, "p99.9": 3.0, "p99.99": 4.0,
         "p99.999": 5.0, "max": 5.6}
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
WIDTH, LEFT, RIGHT, TOP, BOTTOM = 860, 70, 150, 34, 56
PLOT_W = WIDTH - LEFT - RIGHT


def fmt_us(value):
    if value is None:
        return "—"
    return f"{value:.2f}" if value < 100 else f"{value:.1f}" if value < 10000 else f"{value:.0f}"


def reading_guide(report):
    """The report's "how to read this" paragraph."""
    alpha = report["alpha"]
    return (f"Each build ran several times. A cell is the median of that percentile over a build's "
            f"runs, and ± how much its runs differ from one another. A ratio (a build over the "
            f"baseline) above 1 means that build is slower. The interval ({100 * (1 - alpha):g} %) is "
            f"where that ratio could lie, given how much the runs disagree, from resampling the runs of "
            f"both builds. p is the chance that two sets of runs of one build would be ranked apart this "
            f"far (Mann–Whitney U). A percentile is called regressed or improved only when p stays small "
            f"after allowing for {len(report['judged'])} percentiles tested at once (Holm) and the "
            f"interval lies wholly on one side of 1: a build compared with itself gets such a verdict in "
            f"at most {100 * alpha:g} % of comparisons. 'No change (within ±x %)' says how large a change "
            f"these runs could still hide; to narrow it, run more rounds. With fewer than "
            f"{report['minimum_runs_for_a_verdict']} runs a side no verdict is possible at all.")


def comparison_rows(report, name):
    base = report["baseline"]
    rows = []
    for key in report["judged"]:
        entry = report["comparisons"][name]["percentiles"][key]
        cells = []
        for build, median in ((base, entry["a_median_us"]), (name, entry["b_median_us"])):
            spread = report["builds"][build]["spread_pct"][key]
            cells.append(fmt_us(median) + (f" ±{spread:.1f} %" if spread is not None else ""))
        low, high = entry["ci"]
        rows.append([key] + cells + [f"{entry['ratio']:.3f}", f"{low:.3f}–{high:.3f}",
                                     f"{entry['p_value']:.3g}", entry["verdict_text"]])
    header = ["percentile", f"{base}, µs ± spread", f"{name}, µs ± spread", f"{name} / {base}",
              f"{100 * (1 - report['alpha']):g} % interval", "p", "verdict"]
    return header, rows


def notes(report):
    lines = []
    for name, build in report["builds"].items():
        used = build["valid_runs"]
        lines.append(f"{name}: {used} valid run{'s' if used != 1 else ''} of {len(build['runs'])}"
                     + (f"; workload {', '.join(build['workloads'])}" if build["workloads"] else ""))
        lines += [f"{name}: left out {run['path']}: {run['invalid_reason'] or 'marked invalid, no reason given'}"
                  for run in build["runs"] if not run["valid"]]
    if len({tuple(build["workloads"]) for build in report["builds"].values()}) > 1:
        lines.append("The builds ran different workloads: the comparison may not be like for like.")
    return lines


def markdown(report):
    out = [f"## {report['title']}", ""]
    for name, comparison in report["comparisons"].items():
        out += [f"**{comparison['overall_line']}**", ""]
        header, rows = comparison_rows(report, name)
        out.append("| " + " | ".join(header) + " |")
        out.append("|---|" + "---:|" * (len(header) - 2) + "---|")
        out += ["| " + " | ".join(row) + " |" for row in rows]
        out.append("")
    out += [f"- {line}" for line in notes(report)]
    out += ["", f"**How to read this.** {reading_guide(report)}"]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- plots

def sx(nines):
    return LEFT + PLOT_W * (nines - 0.1) / 5.8


def frame(height, title, y_label, y_ticks):
    """An SVG's opening, box, title, percentile axis and the given (y, label, strong) ticks."""
    plot_h = height - TOP - BOTTOM
    e = html.escape
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">',
             f'<text x="{LEFT}" y="{TOP - 12}" font-size="14" font-weight="bold">{e(title)}</text>',
             f'<rect x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{plot_h}" fill="#fff" stroke="#444"/>']
    for y, label, strong in y_ticks:
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_W}" y2="{y:.1f}" '
                     f'stroke="{"#888" if strong else "#e2e2e2"}"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{e(label)}</text>')
    for key in PLOTTED:
        x = sx(NINES[key])
        parts.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_h}" stroke="#e2e2e2"/>')
        parts.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
                     f'{key if key == "max" else key[1:]}</text>')
    parts.append(f'<text x="{LEFT + PLOT_W / 2:.1f}" y="{height - 14}" text-anchor="middle">'
                 'percentile (log scale of nines)</text>')
    parts.append(f'<text transform="translate(18 {TOP + plot_h / 2:.1f}) rotate(-90)" '
                 f'text-anchor="middle">{e(y_label)}</text>')
    return parts


def legend(parts, slot, colour, name, note):
    x, y = LEFT + PLOT_W + 14, TOP + 12 + 40 * slot
    parts.append(f'<line x1="{x}" y1="{y}" x2="{x + 22}" y2="{y}" stroke="{colour}" stroke-width="3"/>')
    parts.append(f'<text x="{x + 28}" y="{y + 4}">{html.escape(name)}</text>')
    parts.append(f'<text x="{x + 28}" y="{y + 18}" fill="#666" font-size="11">{html.escape(note)}</text>')


def nice_bounds(values):
    """The 1-2-5 steps just below the least and just above the greatest value."""
    steps = [m * 10.0 ** k for k in range(-3, 9) for m in (1, 2, 5)]
    return max(s for s in steps if s <= min(values)), min(s for s in steps if s >= max(values))


def latency_plot(report):
    """Every build's median per percentile, over a band spanning its runs."""
    height = 420
    plot_h = height - TOP - BOTTOM
    valid = {name: [run["latency_us"] for run in build["runs"] if run["valid"]]
             for name, build in report["builds"].items()}
    lo, hi = nice_bounds([run[key] for runs in valid.values() for run in runs for key in PLOTTED])

    def sy(v):
        return TOP + plot_h * (1 - math.log10(v / lo) / math.log10(hi / lo))

    ticks = [(sy(s), f"{s:g}", m == 1) for s, m in ((m * 10.0 ** k, m) for k in range(-3, 9) for m in (1, 2, 5))
             if lo * 0.999 <= s <= hi * 1.001]
    parts = frame(height, "Latency of each build: median of its runs, band from fastest to slowest run",
                  "latency, µs (log scale)", ticks)
    for i, (name, runs) in enumerate(valid.items()):
        colour = COLOURS[i % len(COLOURS)]
        upper = [f"{sx(NINES[k]):.1f},{sy(max(r[k] for r in runs)):.1f}" for k in PLOTTED]
        lower = [f"{sx(NINES[k]):.1f},{sy(min(r[k] for r in runs)):.1f}" for k in reversed(PLOTTED)]
        parts.append(f'<polygon points="{" ".join(upper + lower)}" fill="{colour}" fill-opacity="0.13"/>')
        median = report["builds"][name]["median_us"]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                     + " ".join(f"{sx(NINES[k]):.1f},{sy(median[k]):.1f}" for k in PLOTTED) + '"/>')
        parts += [f'<circle cx="{sx(NINES[k]):.1f}" cy="{sy(median[k]):.1f}" r="3" fill="{colour}"/>' for k in PLOTTED]
        legend(parts, i, colour, name, f"{len(runs)} runs")
    parts.append("</svg>")
    return "\n".join(parts)


def ratio_plot(report):
    """Each compared build's ratio to the baseline per percentile, with its interval."""
    height = 300
    plot_h = height - TOP - BOTTOM
    entries = [(name, key, c["percentiles"][key]) for name, c in report["comparisons"].items() for key in PLOTTED]
    reach = max([0.05] + [abs(v - 1) for _, _, e in entries for v in e["ci"] + [e["ratio"]]]) * 1.15
    step = next((s for s in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0) if reach / s <= 5), math.ceil(reach / 5))
    reach = step * math.ceil(reach / step)

    # A ratio is never below 0: the axis stops there when an interval is wide.
    bottom, top = max(0.0, 1 - reach), 1 + reach

    def sy(v):
        return TOP + plot_h * (1 - (v - bottom) / (top - bottom))

    count = round(reach / step)
    ticks = [(sy(1 + k * step), f"{1 + k * step:.2f}", k == 0) for k in range(-count, count + 1) if 1 + k * step >= 0]
    parts = frame(height, f"Ratio to {report['baseline']} with its interval (above 1: slower)",
                  f"ratio to {report['baseline']}", ticks)
    names = list(report["comparisons"])
    for name, key, entry in entries:
        i = names.index(name)
        colour = COLOURS[(list(report["builds"]).index(name)) % len(COLOURS)]
        x = sx(NINES[key]) + 8 * (i - (len(names) - 1) / 2)
        low, high = entry["ci"]
        parts.append(f'<line x1="{x:.1f}" y1="{sy(low):.1f}" x2="{x:.1f}" y2="{sy(high):.1f}" '
                     f'stroke="{colour}" stroke-width="2"/>')
        filled = colour if entry["verdict"] in ("regressed", "improved") else "#fff"
        parts.append(f'<circle cx="{x:.1f}" cy="{sy(entry["ratio"]):.1f}" r="4" fill="{filled}" stroke="{colour}" '
                     'stroke-width="2"/>')
        if key == PLOTTED[0]:
            legend(parts, i, colour, name, "filled: a verdict")
    parts.append("</svg>")
    return "\n".join(parts)


def html_page(report):
    e = html.escape
    body = []
    for name, comparison in report["comparisons"].items():
        header, rows = comparison_rows(report, name)
        body.append(f"<p><strong>{e(comparison['overall_line'])}</strong></p>")
        body.append("<table>\n<tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
        for row in rows:
            verdict = row[-1].split(" ")[0]
            body.append(f"<tr><th>{e(row[0])}</th>" + "".join(f"<td>{e(c)}</td>" for c in row[1:-1])
                        + f'<td class="{e(verdict)}">{e(row[-1])}</td></tr>')
        body.append("</table>")
    items = "\n".join(f"<li>{e(line)}</li>" for line in notes(report))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{e(report['title'])}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; max-width: 62em; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.7em; white-space: nowrap; }}
td {{ text-align: right; font-variant-numeric: tabular-nums; }}
th {{ text-align: left; }}
td.regressed, td.improved, td.no, td.too {{ text-align: left; }}
td.regressed {{ color: #b00; font-weight: bold; }}
td.improved {{ color: #070; font-weight: bold; }}
svg {{ display: block; margin: 1em 0; }}
li {{ margin: 0.3em 0; }}
</style>
</head>
<body>
<h1>{e(report['title'])}</h1>
{chr(10).join(body)}
{latency_plot(report)}
{ratio_plot(report)}
<ul>
{items}
</ul>
<h2>How to read this</h2>
<p>{e(reading_guide(report))}</p>
</body>
</html>
"""
