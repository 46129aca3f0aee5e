"""The short soak: the real server (`acuerdos serve`, in a subprocess), 8 clients for 10 s on loopback,
normal and hostile questions, plus a slow reader, a slow sender and a client that hangs up mid-request.
The full one is `acuerdos soak` (32 clients, 60 s)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from tools.soak import format_report, run_soak, soak_command

pytestmark = pytest.mark.server


def test_short_soak_has_no_errors_a_bounded_queue_and_flat_memory(served_app):
    from acuerdos.app.server import QUEUE_MAX

    report = run_soak(served_app.url, served_app.pid, clients=8, seconds=10, queue_bound=QUEUE_MAX)
    print("\n" + format_report(report) + f"\nRSS timeline (s, MB): {report['rss_timeline_mb']}")
    assert report["errors"] == 0, report["error_samples"]
    assert report["requests"] >= 40 and report["ok"] == report["requests"]
    assert report["expected_rejections"] >= 1  # the unknown filter was refused with its message
    assert set(report["by_kind"]) >= {"normal", "long", "empty", "html", "bad filter"}
    assert report["latency_s"]["p95"] < 30
    assert report["queue"]["samples"] > 0 and report["queue"]["max_observed"] <= QUEUE_MAX
    assert report["rss_mb"]["growth"] < 150, report["rss_timeline_mb"]
    for slow in ("slow_reader", "slow_sender"):  # they finished, and were not in anyone's way
        assert report[slow]["requests"] >= 1 and report[slow]["ok"] == report[slow]["requests"]
    assert sum(report["disconnects"].values()) >= 2
    assert not any(kind.startswith("failed") for kind in report["disconnects"])
    assert report["health_after"] and served_app.process.poll() is None


def test_soak_command_against_a_running_server(served_app):
    result = CliRunner().invoke(
        soak_command,
        ["--url", served_app.url, "--pid", str(served_app.pid), "--clients", "2", "--seconds", "2", "--json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["errors"] == 0 and report["requests"] > 0
    assert report["rss_mb"]["end"] and report["queue"]["bound"] == 64
    text = format_report(report)
    assert "errors 0" in text and "p95" in text and "MB at the end" in text
