"""tools/latency-report compare: is build B faster or slower than build A, given repeated runs?

    tools/latency-report compare A=results/a B=results/b [B=more/b ...] [--baseline A]
                                 [--out results/compare] [--alpha 0.01] [--title TEXT]

Each NAME=DIR adds the runs in DIR to the build NAME: DIR is one run (DIR/summary.json) or
a folder of runs (DIR/*/summary.json: round-01, round-02, ...). A name may be given more
than once. The first name, or --baseline, is the baseline A; every other build is compared
with it. Run the builds in turns (A B A B ...), so that a slow spell of the machine falls
on both.

A run is the summary.json that sluice-load writes at the end of a load run (format 1):
  {"tool": "sluice-load", "format": 1, "workload": ..., "offered_rate": ..., ...,
   "latency_us": {"min": .., "mean": .., "p50": .., "p90": .., "p99": .., "p99.9": ..,
                  "p99.99": .., "p99.999": .., "max": ..},
   "valid": true, "invalid_reason": null}
A run with "valid": false (sluice-load could not keep its offered rate, say) is left out,
and the report names it with its reason.

Per percentile (p50, p90, p99, p99.9, p99.99, max; p99.999 in the JSON), over the runs of
each build: the median; B / A, the ratio of the medians; its 1 - alpha confidence interval,
a bootstrap over runs (scipy.stats.bootstrap, both samples resampled, fixed seed); and the
two-sided p-value of scipy.stats.mannwhitneyu (exact when no two runs tie). A percentile
is `regressed` or `improved` only when Holm's step-down over the judged percentiles
rejects at alpha and the interval lies wholly above or below 1; otherwise it is
`no change (within ±x %)`, x the interval's farther end. So a build compared with itself
gets any other verdict in at most alpha of comparisons (default 1 in 100; simulated, about
1 in 100). The exact test cannot go below 2 / C(m + n, m): at the default alpha a verdict
needs at least 7 runs a side (5 at --alpha 0.05); with fewer the report says so. With a
3 % run-to-run spread, 10 runs a side call a 10 % p99 slowdown regressed 99 times in 100;
docs/benchmarks.md ("Comparing two builds") has the figures for other spreads.

Writes into --out compare.md (also printed), compare.html (the tables, every build's
percentiles overlaid and each ratio with its interval, as inline SVG: no scripts, nothing
fetched; tools/latency_compare_page.py writes both) and compare.json (every figure).
Needs numpy and scipy (Debian's python3-scipy).

Exit status: 0; 1 when a run folder cannot be read or a build has fewer than 2 valid runs;
2 on bad arguments or without scipy; one line on stderr says which.
"""

import argparse
import json
import math
import os
import statistics
import sys

import latency_compare_page

JUDGED = ["p50", "p90", "p99", "p99.9", "p99.99", "max"]
REPORTED = ["p50", "p90", "p99", "p99.9", "p99.99", "p99.999", "max"]
BOOTSTRAP_SEED = 20240611  # fixed: the same runs give the same report
BOOTSTRAP_RESAMPLES = 9999
SIMULATION_SEED = 12345
MISSING_SCIPY = "latency-report: compare needs scipy: apt-get install python3-scipy (or run tools/install-deps)"
SYSTEM_PYTHON = "/usr/bin/python3"


class InputError(Exception):
    pass


class ArgumentParser(argparse.ArgumentParser):
    """One line on stderr for a bad argument, exit 2 (as the report's other mode)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (--help lists the options)\n")


# --------------------------------------------------------------------------- reading

def read_summary(path):
    try:
        with open(path, encoding="utf-8") as handle:
            summary = json.load(handle)
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None
    except ValueError as error:
        raise InputError(f"{path} is not JSON ({error}): rerun sluice-load for that round") from None
    if not isinstance(summary, dict) or summary.get("format") != 1:
        raise InputError(f"{path}: not a sluice-load summary of format 1 "
                         f"(format {summary.get('format') if isinstance(summary, dict) else '?'})")
    latency = summary.get("latency_us")
    if not isinstance(latency, dict):
        raise InputError(f"{path}: no latency_us object: rerun sluice-load for that round")
    valid = summary.get("valid", True) is not False
    for key in REPORTED:
        value = latency.get(key)
        if valid and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0):
            raise InputError(f"{path}: latency_us.{key} is {value!r}, not a positive number of µs")
    return {"path": os.path.dirname(path), "valid": valid, "invalid_reason": summary.get("invalid_reason"),
            "workload": summary.get("workload"), "offered_rate": summary.get("offered_rate"),
            "achieved_rate": summary.get("achieved_rate"),
            "latency_us": {key: latency.get(key) for key in REPORTED}}


def read_runs(folder):
    """The runs in `folder`: itself, when it holds summary.json, or each subfolder that does."""
    if not os.path.isdir(folder):
        raise InputError(f"no such folder: {folder} (give NAME=DIR, DIR a sluice-load result folder)")
    own = os.path.join(folder, "summary.json")
    if os.path.exists(own):
        return [read_summary(own)]
    paths = sorted(os.path.join(folder, entry, "summary.json") for entry in os.listdir(folder)
                   if os.path.exists(os.path.join(folder, entry, "summary.json")))
    if not paths:
        raise InputError(f"{folder} holds no summary.json, nor does any folder in it: "
                         "point at sluice-load's result folder for a run or a set of rounds")
    return [read_summary(path) for path in paths]


# --------------------------------------------------------------------------- statistics

def smallest_p(m, n):
    """The least two-sided p-value the exact Mann-Whitney U test can give with m and n runs."""
    return min(1.0, 2.0 / math.comb(m + n, m))


def runs_for_a_verdict(alpha, tests):
    """Runs a side (equal sides) that the exact test needs to reject at alpha / tests."""
    n = 2
    while smallest_p(n, n) > alpha / tests:
        n += 1
    return n


def spread_pct(values):
    """Run-to-run spread: the standard deviation of ln(value), as a percentage."""
    return 100.0 * statistics.stdev(math.log(v) for v in values) if len(values) > 1 else None


def test_one(a, b, stats):
    """Medians, their ratio and the Mann-Whitney U p-value of one percentile's runs."""
    ties = len(set(a) | set(b)) < len(a) + len(b)
    method = "asymptotic" if ties or len(a) + len(b) > 100 else "exact"
    p = float(stats.mannwhitneyu(b, a, alternative="two-sided", method=method).pvalue)
    return {"a_median_us": statistics.median(a), "b_median_us": statistics.median(b),
            "ratio": statistics.median(b) / statistics.median(a), "p_value": 1.0 if math.isnan(p) else p,
            "test_method": method, "smallest_possible_p": smallest_p(len(a), len(b))}


def interval(a, b, alpha, np, stats):
    """The 1 - alpha interval of median(b) / median(a), resampling the runs of both sides."""
    if len(set(a) | set(b)) == 1:  # nothing varies: the bootstrap has nothing to resample
        return [b[0] / a[0]] * 2
    result = stats.bootstrap(
        (np.array(b), np.array(a)), lambda y, x, axis: np.median(y, axis=axis) / np.median(x, axis=axis),
        vectorized=True, n_resamples=BOOTSTRAP_RESAMPLES, confidence_level=1 - alpha, method="percentile",
        random_state=np.random.default_rng(BOOTSTRAP_SEED))
    return [float(result.confidence_interval.low), float(result.confidence_interval.high)]


def compare_one(a, b, alpha, np, stats):
    return {**test_one(a, b, stats), "ci": interval(a, b, alpha, np, stats)}


def holm(figures, alpha):
    """The judged percentiles that Holm's step-down rejects at alpha."""
    order = sorted(JUDGED, key=lambda key: figures[key]["p_value"])
    rejected, stepping = set(), True
    for rank, key in enumerate(order):
        figures[key]["holm_threshold"] = alpha / (len(order) - rank)
        stepping = stepping and figures[key]["p_value"] <= figures[key]["holm_threshold"]
        if stepping:
            rejected.add(key)
    return rejected


def judge(figures, alpha):
    """Each percentile's verdict: Holm rejects and the interval lies on one side of 1."""
    rejected = holm(figures, alpha)
    for key, entry in figures.items():
        low, high = entry["ci"]
        within = 100.0 * max(abs(low - 1.0), abs(high - 1.0))
        entry["within_pct"] = within
        if key not in JUDGED:
            entry["verdict"], entry["verdict_text"] = None, "not judged (JSON only)"
        elif entry["smallest_possible_p"] > alpha / len(JUDGED):
            entry["verdict"], entry["verdict_text"] = "too few runs", "too few runs for a verdict"
        elif key in rejected and low > 1.0:
            entry["verdict"], entry["verdict_text"] = "regressed", f"regressed (+{100 * (entry['ratio'] - 1):.1f} %)"
        elif key in rejected and high < 1.0:
            entry["verdict"], entry["verdict_text"] = "improved", f"improved ({100 * (entry['ratio'] - 1):.1f} %)"
        else:
            entry["verdict"], entry["verdict_text"] = "no change", f"no change (within ±{within:.1f} %)"


def overall(name, figures, baseline, minimum):
    verdicts = {key: figures[key]["verdict"] for key in JUDGED}
    worse = [key for key in JUDGED if verdicts[key] == "regressed"]
    better = [key for key in JUDGED if verdicts[key] == "improved"]
    if "too few runs" in verdicts.values():
        return "too few runs", (f"{name} against {baseline}: too few runs for a verdict; "
                                f"give each build at least {minimum} valid runs")
    if worse and better:
        word = "mixed"
    else:
        word = "regressed" if worse else "improved" if better else "no change"
    parts = [f"{verdict} at " + ", ".join(keys)
             for verdict, keys in (("regressed", worse), ("improved", better)) if keys]
    if not parts:
        widest = max(figures[key]["within_pct"] for key in JUDGED)
        parts = [f"no change at any percentile (each within ±{widest:.1f} %)"]
    return word, f"{name} against {baseline}: " + "; ".join(parts)


def simulate(comparisons, alpha, np, stats):
    """The verdict's error rates on synthetic runs: every percentile of every run scattered
    independently (lognormal) around one profile, the hard case for false alarms."""
    typical = {"p50": 7.9, "p90": 9.0, "p99": 12.0, "p99.9": 20.0, "p99.99": 40.0, "p99.999": 60.0, "max": 80.0}

    def runs(random, count, spread, p99=1.0):
        return [{key: us * (p99 if key == "p99" else 1.0) * math.exp(random.normal(0.0, spread))
                 for key, us in typical.items()} for _ in range(count)]

    def verdicts(a, b):
        # judge()'s verdicts; only a percentile that Holm rejects needs its interval.
        samples = {key: ([r[key] for r in a], [r[key] for r in b]) for key in JUDGED}
        rejected = holm({key: test_one(*samples[key], stats) for key in JUDGED}, alpha)
        out = dict.fromkeys(JUDGED, "no change")
        for key in rejected:
            low, high = interval(*samples[key], alpha, np, stats)
            out[key] = "regressed" if low > 1.0 else "improved" if high < 1.0 else "no change"
        return out

    print(f"alpha {alpha:g}; {comparisons} comparisons a row; seed {SIMULATION_SEED}\n")
    print("| run-to-run spread | runs a side | A against A: any verdict | 10 % p99 slowdown: called regressed |")
    print("|---:|---:|---:|---:|")
    for spread in (0.03, 0.05, 0.10):
        for count in sorted({runs_for_a_verdict(alpha, len(JUDGED)), 8, 10, 12, 15, 20}):
            random = np.random.default_rng([SIMULATION_SEED, round(1000 * spread), count])  # rows stand alone
            alarms = sum(any(v != "no change" for v in verdicts(runs(random, count, spread),
                                                                runs(random, count, spread)).values())
                         for _ in range(comparisons))
            found = sum(verdicts(runs(random, count, spread), runs(random, count, spread, 1.10))["p99"] == "regressed"
                        for _ in range(comparisons))
            print(f"| {100 * spread:g} % | {count} | {100 * alarms / comparisons:.1f} % | "
                  f"{100 * found / comparisons:.1f} % |", flush=True)
    return 0


# --------------------------------------------------------------------------- main

def load_scipy():
    """numpy and scipy.stats, or None. Debian's python3-scipy serves /usr/bin/python3; a
    python3 earlier on PATH (pyenv, a venv) may not see it, so try that one once."""
    try:
        import numpy
        import scipy.stats
        return numpy, scipy.stats
    except ImportError:
        pass
    if (os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and os.access(SYSTEM_PYTHON, os.X_OK)
            and not os.environ.get("SLUICE_COMPARE_REEXEC")):
        os.environ["SLUICE_COMPARE_REEXEC"] = "1"
        script = os.path.abspath(sys.argv[0])
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, script] + sys.argv[1:])
    return None


def parse_args(argv):
    parser = ArgumentParser(prog="latency-report compare", description=__doc__.split("\n\n")[0],
                            epilog="See the head of tools/latency_compare.py for the method.")
    parser.add_argument("builds", nargs="*", metavar="NAME=DIR",
                        help="a run folder, or a folder of run folders, of build NAME (repeatable)")
    parser.add_argument("--baseline", help="the build the others are compared with (default: the first)")
    parser.add_argument("--out", default="results/compare", help="folder for compare.md, .html, .json")
    parser.add_argument("--alpha", type=float, default=0.01,
                        help="chance that a build compared with itself gets any verdict but no change")
    parser.add_argument("--title", default="Latency, build against build")
    parser.add_argument("--simulate", type=int, metavar="COMPARISONS",
                        help="no folders: judge synthetic runs, COMPARISONS per row, and print how "
                             "often a build against itself gets a verdict and a 10 %% p99 slowdown is found")
    args = parser.parse_args(argv)
    if not 0 < args.alpha <= 0.5:
        parser.error(f"--alpha {args.alpha:g}: want a chance between 0 and 0.5, such as 0.01")
    if args.simulate is not None:
        if args.builds or args.simulate < 10:
            parser.error("--simulate COMPARISONS takes no NAME=DIR, and 10 comparisons or more")
        return args, {}
    folders = {}
    for text in args.builds:
        name, sep, folder = text.partition("=")
        if not sep or not name or not folder:
            parser.error(f"want NAME=DIR, not '{text}'")
        folders.setdefault(name, []).append(folder)
    if len(folders) < 2:
        parser.error("compare needs two or more builds: NAME=DIR NAME=DIR")
    if args.baseline is not None and args.baseline not in folders:
        parser.error(f"--baseline {args.baseline} is not one of the builds ({', '.join(folders)})")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        parser.error(f"--out {args.out} is a file: name a folder")
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as error:
        parser.error(f"--out {args.out}: cannot create it ({error.strerror})")
    return args, folders


def main(argv):
    libraries = load_scipy()
    if libraries is None:
        print(MISSING_SCIPY, file=sys.stderr)
        return 2
    np, stats = libraries
    args, folders = parse_args(argv)
    if args.simulate is not None:
        return simulate(args.simulate, args.alpha, np, stats)
    baseline = args.baseline or next(iter(folders))
    minimum = runs_for_a_verdict(args.alpha, len(JUDGED))
    builds = {}
    try:
        for name in [baseline] + [name for name in folders if name != baseline]:
            runs = [run for folder in folders[name] for run in read_runs(folder)]
            valid = [run["latency_us"] for run in runs if run["valid"]]
            if len(valid) < 2:
                raise InputError(f"{name} has {len(valid)} valid run{'s' if len(valid) != 1 else ''}; a comparison "
                                 f"needs at least 2 a build, and a verdict {minimum}: run more rounds")
            builds[name] = {
                "runs": runs, "valid_runs": len(valid),
                "workloads": sorted({run["workload"] for run in runs if run["valid"] and run["workload"]}),
                "median_us": {key: statistics.median(run[key] for run in valid) for key in REPORTED},
                "spread_pct": {key: spread_pct([run[key] for run in valid]) for key in REPORTED}}
    except InputError as error:
        print(f"latency-report compare: {error}", file=sys.stderr)
        return 1

    report = {"title": args.title, "alpha": args.alpha, "baseline": baseline, "judged": JUDGED,
              "minimum_runs_for_a_verdict": minimum, "bootstrap": {
                  "statistic": "median(B runs) / median(A runs)", "method": "percentile",
                  "resamples": BOOTSTRAP_RESAMPLES, "seed": BOOTSTRAP_SEED},
              "test": "scipy.stats.mannwhitneyu, two-sided; Holm over the judged percentiles",
              "builds": builds, "comparisons": {}}
    a_runs = [run["latency_us"] for run in builds[baseline]["runs"] if run["valid"]]
    for name, build in builds.items():
        if name == baseline:
            continue
        b_runs = [run["latency_us"] for run in build["runs"] if run["valid"]]
        figures = {key: compare_one([run[key] for run in a_runs], [run[key] for run in b_runs], args.alpha, np, stats)
                   for key in REPORTED}
        judge(figures, args.alpha)
        word, line = overall(name, figures, baseline, minimum)
        report["comparisons"][name] = {"against": baseline, "overall": word, "overall_line": line,
                                       "percentiles": figures}

    text = latency_compare_page.markdown(report)
    for file_name, content in (("compare.md", text), ("compare.html", latency_compare_page.html_page(report)),
                               ("compare.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n")):
        with open(os.path.join(args.out, file_name), "w", encoding="utf-8") as handle:
            handle.write(content)
    sys.stdout.write(text)
    print(f"\n(written: {args.out}/compare.md, compare.html, compare.json)")
    if any(c["overall"] == "too few runs" for c in report["comparisons"].values()):
        print(f"latency-report compare: too few runs for a verdict: at alpha {args.alpha:g} each build needs "
              f"at least {minimum} valid runs", file=sys.stderr)
    return 0
