"""A verification report as a terminal table, JSON and Markdown."""

import json
import math

from .results import FAIL


def _worst_closed(pair):
    worst = pair.worst_closed()
    if worst is None:
        return "-", ""
    digits, point, quantity = worst
    return (">50" if math.isinf(digits) else f"{digits:.1f}"), f"{quantity} #{point.index} {point.regime}"


def _worst_function(pair):
    worst = pair.worst_function()
    if worst is None:
        return "-", ""
    ratio, quantity, point = worst
    error = point.function_error[quantity]
    ulps = "inf" if math.isinf(error["ulps"]) else f"{error['ulps']:.3g}"
    return f"{error['relative']:.1e} ({ulps} ulp)", f"{quantity} #{point.index} {point.regime}"


def _rows(report):
    for pair in report.pairs:
        digits, where_c = _worst_closed(pair)
        error, where_f = _worst_function(pair)
        yield {"pair": pair.pair, "status": pair.status.upper(), "points": len(pair.points),
               "pass": pair.count("pass"), "fail": pair.count("fail"),
               "not checked": pair.count("not checked"), "digits": digits, "where_c": where_c,
               "float": error, "where_f": where_f, "time": f"{pair.seconds:.1f}s"}


_COLUMNS = [("pair", "pair"), ("status", "status"), ("points", "points"), ("pass", "pass"),
            ("fail", "fail"), ("not checked", "not chk"), ("digits", "worst digits"),
            ("where_c", "at"), ("float", "worst float64 error"), ("where_f", "at"),
            ("time", "time")]


def _summary(report):
    total = sum(len(p.points) for p in report.pairs)
    counts = {s: sum(p.count(s) for p in report.pairs) for s in ("pass", "fail", "not checked")}
    line = (f"{len(report.pairs)} pairs, {total} points: {counts['pass']} passed, "
            f"{counts['fail']} failed, {counts['not checked']} not checked "
            f"({report.settings.get('dps')} digits, seed {report.settings.get('seed')}, "
            f"{report.seconds:.1f} s)")
    if report.interrupted:
        line += "; INTERRUPTED: the report covers what finished"
    return line


def _details(report):
    """Failures (with the command that re-checks each) and reasons for not checking."""
    lines = []
    for pair in report.pairs:
        if pair.error:
            lines.append(f"{pair.pair}: could not run: {pair.error}")
        for point in pair.points:
            if point.status == FAIL:
                lines.append(f"FAIL {pair.pair} point #{point.index} ({point.regime}): "
                             f"p = {point.p}, q = {point.q}")
                lines += [f"    {message}" for message in point.failures]
                lines.append(f"    re-check: {point.command}")
    skipped = {}
    for pair in report.pairs:
        for point in pair.points:
            if point.status == "not checked":
                key = (pair.pair, "; ".join(point.skipped) or "no KL comparison")
                skipped.setdefault(key, []).append(f"#{point.index}")
    for (pair, reason), which in skipped.items():
        lines.append(f"not checked: {pair} {', '.join(which)}: {reason}")
    return lines


def to_text(report):
    rows = list(_rows(report))
    widths = {key: max([len(title)] + [len(str(r[key])) for r in rows]) for key, title in _COLUMNS}
    out = ["  ".join(title.ljust(widths[key]) for key, title in _COLUMNS)]
    out += ["  ".join(str(r[key]).ljust(widths[key]) for key, _ in _COLUMNS) for r in rows]
    out += ["", _summary(report), _NOTE] + _details(report)
    return "\n".join(out)


_NOTE = ("digits: significant digits shared by closed form and reference (30 required); "
         "float64 error: relative (KL) or relative to max(|value|, 1 nat) (H, H(p, q)), "
         "worst over the points, against the targets 1e-13 (one family) / 1e-11 (two)")


def to_markdown(report):
    rows = list(_rows(report))
    out = ["| " + " | ".join(title for _, title in _COLUMNS) + " |",
           "|" + "---|" * len(_COLUMNS)]
    out += ["| " + " | ".join(str(r[key]).replace("||", "‖") for key, _ in _COLUMNS) + " |"
            for r in rows]
    out += ["", _summary(report), "", _NOTE]
    details = _details(report)
    if details:
        out += ["", "```"] + details + ["```"]
    return "\n".join(out)


def to_json(report, indent=2):
    """Strict JSON: an infinite or NaN number is written as a string ("inf")."""
    return json.dumps(_finite(report.to_dict()), indent=indent, allow_nan=False, default=str)


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
