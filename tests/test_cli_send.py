"""`mailer send SLUG [--to ADDRESS]`: the command line over a real SMTP server."""

from __future__ import annotations

from click.testing import CliRunner
from test_send_kit import SLUG, add_subscribers, make_runtime

from mailer.cli import main
from mailer.localservers import LocalSmtpServer, free_port


def _run(rt, *args):
    return CliRunner().invoke(main, ["--config", rt.config.source, *args], catch_exceptions=False)


def test_send_everyone_then_again_sends_nobody_twice(tmp_path):
    with LocalSmtpServer() as smtp:
        rt = make_runtime(tmp_path, smtp.port)
        add_subscribers(rt, 4)
        first = _run(rt, "send", SLUG)
        assert first.exit_code == 0, first.output
        assert "4 verstuurd" in first.output and "Status: sent" in first.output
        second = _run(rt, "send", SLUG)
        assert second.exit_code == 0
        assert "al naar iedereen verstuurd" in second.output and "niemand krijgt hem twee keer" in second.output
        assert len(smtp.messages) == 4


def test_send_a_test_to_one_address(tmp_path):
    with LocalSmtpServer() as smtp:
        rt = make_runtime(tmp_path, smtp.port)
        add_subscribers(rt, 3)
        result = _run(rt, "send", SLUG, "--to", "cxo@example.org")
        assert result.exit_code == 0, result.output
        assert "cxo@example.org" in result.output
        assert [m.rcpt_tos for m in smtp.messages] == [["cxo@example.org"]]


def test_unreachable_server_is_one_clear_line(tmp_path):
    port = free_port()
    rt = make_runtime(tmp_path, port)
    add_subscribers(rt, 2)
    result = _run(rt, "send", SLUG)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert f"127.0.0.1:{port}" in lines[0] and "Traceback" not in result.output


def test_unknown_slug_and_bad_address(tmp_path):
    rt = make_runtime(tmp_path)
    result = _run(rt, "send", "bestaat-niet")
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "bestaat-niet" in result.output
    result = _run(rt, "send", SLUG, "--to", "geen-adres")
    assert result.exit_code == 1 and "geen-adres" in result.output and "Traceback" not in result.output
