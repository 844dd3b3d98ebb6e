"""Tables of the results, Vigil's ratios against each peer, its goals, and the result files."""
import json
import os
import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    digits: int
    value: Callable  # result dict -> number, or KeyError/TypeError if not measured


MEASURES = [
    Measure("bring_up", "bring-up (s)", 3, lambda r: r["bring_up"]["seconds"]),
    Measure("restart", "restart median (ms)", 2, lambda r: r["restart"]["median_ms"]),
    Measure("memory", "PSS of tree (MiB)", 1, lambda r: r["memory"]["pss_kib"] / 1024),
    Measure("idle", "idle ctx switches", 0, lambda r: r["idle"]["ctx_switches"]),
]


def value(measure, result):
    try:
        return measure.value(result)
    except (KeyError, TypeError):
        return None


def fmt(v, digits):
    if v is None:
        return "-"
    return f"{v:.{digits}f}"


def ratio(a, b):
    if a is None or b is None:
        return None
    if b == 0:
        return 1.0 if a == 0 else float("inf")
    return a / b


def fmt_ratio(r):
    if r is None:
        return "-"
    if r == float("inf"):
        return "inf"
    return f"{r:.2f}x"


def goal_check(measure, vigil, peers):
    """(goal text, met?) for Vigil on one measure; met is None when it cannot be judged."""
    if measure.key == "bring_up":
        best = min((v for v in peers.values() if v is not None), default=None)
        return "<= 1/3 of fastest peer", None if vigil is None or best is None else vigil <= best / 3
    if measure.key == "restart":
        return "<= 2 ms", None if vigil is None else vigil <= 2.0
    if measure.key == "memory":
        runit = peers.get("runit")
        return "<= 1/2 of runit", None if vigil is None or runit is None else vigil <= runit / 2
    return "<= 20", None if vigil is None else vigil <= 20


def tables(results):
    """Markdown: one row per tool, then (if Vigil ran) Vigil against each peer and its goals."""
    ok = [r for r in results if r.get("status") == "ok" or "bring_up" in r]
    lines = ["| tool | " + " | ".join(m.label for m in MEASURES) + " | tree processes / threads | status |",
             "|---" * (len(MEASURES) + 3) + "|"]
    for r in results:
        mem = r.get("memory", {})
        procs = f"{mem['processes']} / {mem['threads']}" if mem else "-"
        status = r.get("status", "?") if r.get("status") == "ok" else f"{r.get('status')}: {r.get('error', '')}"
        lines.append(f"| {r['tool']} | " + " | ".join(fmt(value(m, r), m.digits) for m in MEASURES)
                     + f" | {procs} | {status} |")
    vigil = next((r for r in ok if r["tool"] == "vigil"), None)
    peers = [r for r in ok if r["tool"] != "vigil"]
    if vigil is None or not peers:
        return "\n".join(lines)
    lines += ["", "Vigil / peer (lower is better for every measure):", "",
              "| measure | " + " | ".join(p["tool"] for p in peers) + " | best peer | vigil / best | goal | met |",
              "|---" * (len(peers) + 5) + "|"]
    for m in MEASURES:
        v = value(m, vigil)
        pv = {p["tool"]: value(m, p) for p in peers}
        known = {k: x for k, x in pv.items() if x is not None}
        best = min(known, key=known.get) if known else None
        goal, met = goal_check(m, v, pv)
        lines.append(f"| {m.label} | " + " | ".join(fmt_ratio(ratio(v, pv[p["tool"]])) for p in peers)
                     + f" | {best or '-'} ({fmt(known.get(best), m.digits)}) | "
                     + f"{fmt_ratio(ratio(v, known.get(best)))} | {goal} | "
                     + {True: "yes", False: "NO", None: "-"}[met] + " |")
    return "\n".join(lines)


def details(results):
    """Secondary figures that explain the main ones."""
    out = []
    for r in results:
        bits = []
        if "restart" in r:
            x = r["restart"]
            bits.append(f"restart min/p90/max {x['min_ms']:.2f}/{x['p90_ms']:.2f}/{x['max_ms']:.2f} ms "
                        f"over {x['kills']} kills, timed by {x['method']}"
                        + (f" ({x['fallbacks']} found by /proc scan)" if x["fallbacks"] else ""))
        if "memory" in r:
            bits.append(f"RSS {r['memory']['rss_kib'] / 1024:.1f} MiB")
        if "idle" in r:
            x = r["idle"]
            busiest = ", ".join(f"{b['comm']}:{b['ctx_switches']}" for b in x["busiest"]) or "none"
            bits.append(f"idle window {x['window_s']} s, busiest {busiest}"
                        + (", TREE CHANGED during window" if x["tree_changed"] else ""))
        if "bring_up" in r:
            b = r["bring_up"]
            quartiles = "/".join(f"{q:.2f}" for q in b.get("quartiles_s", []))
            bits.append(f"bring-up timed by {b['method']}"
                        + (f", 25/50/75% up at {quartiles} s" if quartiles else "")
                        + (f", fastest of {b['runs_s']} s" if len(b.get("runs_s", [])) > 1 else "")
                        + f", known to the harness at {b['detected_s']:.3f} s, harness CPU {b['harness_cpu_s']} s")
        if "teardown" in r:
            t = r["teardown"]
            bits.append(f"teardown: {'graceful' if t['graceful'] else 'forced'}, {t['killed']} killed, "
                        f"{t['left']} left")
        if "cpu_busy_before" in r:
            bits.append(f"CPU busy with other work: {r['cpu_busy_before']:.0%} just before, "
                        f"{r.get('cpu_busy_after', 0):.0%} just after")
        if bits:
            out.append(f"- **{r['tool']}** ({r.get('command', '')}): " + "; ".join(bits))
    return "\n".join(out)


def write(results_dir, meta, results):
    os.makedirs(results_dir, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = os.path.join(results_dir, f"bench-{stamp}")
    with open(base + ".json", "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)
    with open(base + ".md", "w") as f:
        f.write(f"# Vigil benchmark {stamp}\n\n")
        f.write("".join(f"- {k}: {v}\n" for k, v in meta.items()) + "\n")
        f.write(tables(results) + "\n\n" + details(results) + "\n")
    return base
