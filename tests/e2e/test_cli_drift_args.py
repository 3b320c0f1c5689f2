"""`aia drift` argument checking and help, without a server.

Every bad argument must exit 2 with "aia: <message>" naming the option or
argument at fault, before any network traffic (the CLI is pointed at a dead
address, so reaching the network would print UNAVAILABLE and exit 1). Valid
arguments must pass the checks and reach the network. The DriftService
itself is exercised by the end-to-end drift tests, not here.
"""

import pytest

import aia_e2e as e2e


def dead_address():
    return f"127.0.0.1:{e2e.free_port()}"


def usage_error(args, names):
    p = e2e.run_cli(*args, server=dead_address())
    assert p.returncode == 2, e2e.describe_proc(p)
    assert p.stderr.startswith("aia: "), e2e.describe_proc(p)
    for name in names if isinstance(names, tuple) else (names,):
        assert name in p.stderr, f"{name!r} not in the message" + e2e.describe_proc(p)
    assert "UNAVAILABLE" not in p.stderr, e2e.describe_proc(p)
    return p


@pytest.mark.parametrize("args,names", [
    (["drift"], "drift needs a command"),
    (["drift", "frobnicate"], "frobnicate"),
    # setup
    (["drift", "setup"], "MODEL_ID"),
    (["drift", "setup", "m", "n"], '"n"'),
    (["drift", "setup", "m", "--bogus"], "--bogus"),
    (["drift", "setup", "m", "--reference="], "--reference"),
    (["drift", "setup", "m", "--reference", "a.csv", "--reference", "b.csv"], "--reference"),
    (["drift", "setup", "m", "--features", "a,,b"], "--features"),
    (["drift", "setup", "m", "--features", "a,b,a"], ("--features", "a twice")),
    (["drift", "setup", "m", "--test", "age"], ("--test", "KEY=VALUE")),
    (["drift", "setup", "m", "--test", "age=kolmogorov"], ("--test", "kolmogorov", "wasserstein_normed")),
    (["drift", "setup", "m", "--test", "age=ks", "--test", "age=psi"], ("--test", "age twice")),
    (["drift", "setup", "m", "--features", "a,b", "--test", "c=ks"], ("--test", "c", "--features")),
    (["drift", "setup", "m", "--features", "a,b", "--threshold", "c=0.1"], ("--threshold", "c", "--features")),
    (["drift", "setup", "m", "--threshold", "age=high"], ("--threshold", "age", "high")),
    (["drift", "setup", "m", "--threshold", "age=0"], ("--threshold", "age", "above 0")),
    (["drift", "setup", "m", "--threshold", "age=-0.5"], ("--threshold", "age")),
    (["drift", "setup", "m", "--threshold", "age=nan"], ("--threshold", "age")),
    (["drift", "setup", "m", "--test", "age=ks", "--threshold", "age=1.5"], ("--threshold", "p-value", "below 1")),
    (["drift", "setup", "m", "--threshold", "age=1.5", "--test", "age=chi_square"], ("--threshold", "p-value")),
    (["drift", "setup", "m", "--threshold", "age=0.1", "--threshold", "age=0.2"], ("--threshold", "age twice")),
    (["drift", "setup", "m", "--window-size", "0"], "--window-size"),
    (["drift", "setup", "m", "--window-size", "many"], "--window-size"),
    (["drift", "setup", "m", "--check-interval", "0s"], ("--check-interval", "non-zero")),
    (["drift", "setup", "m", "--check-interval", "30"], "--check-interval"),
    (["drift", "setup", "m", "--check-interval", "10x"], "--check-interval"),
    (["drift", "setup", "m", "--check-interval", "400d"], ("--check-interval", "366d")),
    (["drift", "setup", "m", "--on-data-drift", "panic"], ("--on-data-drift", "panic", "alert, refit or retrain")),
    (["drift", "setup", "m", "--on-concept-drift", "retrain,retrain"], ("--on-concept-drift", "retrain twice")),
    (["drift", "setup", "m", "--on-prediction-drift", "alert,refit"], ("--on-prediction-drift", "alert")),
    (["drift", "setup", "m", "--on-data-drift", ""], "--on-data-drift"),
    (["drift", "setup", "m", "--webhook", "ftp://host/x"], ("--webhook", "ftp://host/x")),
    (["drift", "setup", "m", "--webhook", "http://"], "--webhook"),
    (["drift", "setup", "m", "--cooldown", "soon"], "--cooldown"),
    (["drift", "setup", "m", "--version", "0"], "--version"),
    (["drift", "setup", "m", "--drift-share", "1"], ("--drift-share", "below 1")),
    (["drift", "setup", "m", "--drift-share", "0"], "--drift-share"),
    (["drift", "setup", "m", "--concept-tolerance", "-0.1"], "--concept-tolerance"),
    (["drift", "setup", "m", "--concept-metric="], "--concept-metric"),
    (["drift", "setup", "m", "--label", "team"], "--label"),
    # check
    (["drift", "check"], "MONITOR_ID"),
    (["drift", "check", "mon", "--data="], "--data"),
    (["drift", "check", "mon", "--data", "a.csv", "--data", "b.csv"], "--data"),
    (["drift", "check", "mon", "--skip-actions=yes"], "--skip-actions"),
    # status
    (["drift", "status"], "MODEL_ID"),
    (["drift", "status", "m", "--model", "x"], "--model"),
    # reports
    (["drift", "reports"], ("--monitor", "--model")),
    (["drift", "reports", "--monitor", "a", "--model", "b"], ("--monitor", "--model", "not both")),
    (["drift", "reports", "--model", "m", "--page-size", "0"], "--page-size"),
    (["drift", "reports", "--model", "m", "--page-size", "1001"], "--page-size"),
    (["drift", "reports", "extra"], '"extra"'),
    # watch
    (["drift", "watch", "--kind", "weather"], ("--kind", "weather", "data, prediction, concept")),
    (["drift", "watch", "--kind", "data,,concept"], "--kind"),
    (["drift", "watch", "--since", "yesterday"], ("--since", "RFC 3339")),
    (["drift", "watch", "--since", "2026-13-01T00:00:00Z"], "--since"),
    (["drift", "watch", "--since", "2026-11-26"], "--since"),
    # truth
    (["drift", "truth"], "MODEL_ID"),
    (["drift", "truth", "m"], ("--file", "--id")),
    (["drift", "truth", "m", "--id", "p1"], ("--label", "--value")),
    (["drift", "truth", "m", "--id", "p1", "--label", "a", "--value", "1"], ("--label", "--value", "not both")),
    (["drift", "truth", "m", "--id", "p1", "--value", "high"], ("--value", "high")),
    (["drift", "truth", "m", "--id", "p1", "--value", "1e999"], "--value"),
    (["drift", "truth", "m", "--id=", "--label", "a"], "--id"),
    (["drift", "truth", "m", "--file", "t.csv", "--id", "p1"], ("--file", "--id", "not both")),
    (["drift", "truth", "m", "--file", "t.csv", "--label", "a"], ("--label", "--id only")),
    (["drift", "truth", "m", "--file", "/nonexistent/truth.csv"], "/nonexistent/truth.csv"),
    (["drift", "truth", "m", "--file", "-"], ("--file", "stdin")),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_bad_usage_exits_2_naming_the_argument(args, names):
    usage_error(args, names)


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize("name,text,names", [
    ("noid.csv", "id,label\np1,a\n", ("noid.csv", "prediction_id")),
    ("nooutcome.csv", "prediction_id,score\np1,0.5\n", ("nooutcome.csv", "label", "value")),
    ("both.csv", "prediction_id,label,value\np1,a,1\n", ("both.csv", "both")),
    ("missing_label.csv", "prediction_id,label\np1,a\np2,\n", ("missing_label.csv", "row 2", "label")),
    ("missing_id.csv", "prediction_id,value\np1,1\nNA,2\n", ("missing_id.csv", "row 2", "prediction_id")),
    ("bad_value.csv", "prediction_id,value\np1,1\np2,abc\n", ("bad_value.csv", "3", "abc")),
    ("header_only.csv", "prediction_id,label\n", ("header_only.csv",)),
    ("ragged.csv", "prediction_id,label\np1,a,extra\n", ("ragged.csv", "2")),
])
def test_truth_file_errors_exit_2_naming_file_and_row(tmp_path, name, text, names):
    usage_error(["drift", "truth", "m", "--file", _write(tmp_path, name, text)], names)


@pytest.mark.parametrize("args", [
    ["drift", "setup", "m", "--features", "a,b,c", "--test", "a=ks", "--threshold", "a=0.01", "--test", "c=psi",
     "--threshold", "c=0.25", "--window-size", "500", "--check-interval", "1h30m", "--on-data-drift", "refit,retrain",
     "--on-concept-drift", "retrain", "--on-prediction-drift", "alert", "--webhook", "http://127.0.0.1:9/hook",
     "--webhook=https://example.test/h", "--cooldown", "10m", "--version", "3", "--drift-share", "0.3",
     "--concept-metric", "accuracy", "--concept-tolerance", "0.05", "--label", "team=risk"],
    ["drift", "setup", "m", "--threshold", "age=2.5"],
    ["drift", "check", "mon-1", "--skip-actions"],
    ["drift", "check", "mon-1", "--data", "https://example.test/batch.csv"],
    ["drift", "status", "m", "--monitor", "mon-1"],
    ["drift", "reports", "--model", "m", "--drifted-only", "--page-size", "5", "--page-token", "t"],
    ["drift", "reports", "--monitor", "mon-1"],
    ["drift", "watch", "--model", "m", "--kind", "data,concept", "--kind", "prediction",
     "--since", "2026-11-26T10:00:00Z", "--timeout", "5"],
    ["drift", "truth", "m", "--id", "p1", "--label", "1"],
    ["drift", "truth", "m", "--id", "p1", "--value", "-2.5e3"],
], ids=lambda v: " ".join(v[:2]))
def test_valid_arguments_reach_the_network(args):
    p = e2e.run_cli(*args, server=dead_address())
    assert p.returncode == 1 and p.stderr.startswith("aia: UNAVAILABLE: "), e2e.describe_proc(p)


def test_truth_file_valid_reaches_the_network(tmp_path):
    labels = _write(tmp_path, "labels.csv", "prediction_id,label,extra\np1,1,x\np2,0.0,y\n")
    values = _write(tmp_path, "values.csv", "prediction_id,value\np1,1\np2,2.5\n")
    for f in (labels, values):
        p = e2e.run_cli("drift", "truth", "m", "--file", f, server=dead_address())
        assert p.returncode == 1 and p.stderr.startswith("aia: UNAVAILABLE: "), e2e.describe_proc(p)


def test_top_level_help_lists_drift():
    p = e2e.run_cli("--help")
    assert p.returncode == 0, e2e.describe_proc(p)
    assert "drift ..." in p.stdout, p.stdout


def test_group_help_lists_every_command():
    p = e2e.run_cli("drift", "--help")
    assert p.returncode == 0, e2e.describe_proc(p)
    assert p.stdout.startswith("usage: aia drift"), e2e.describe_proc(p)
    for cmd in ("setup", "check", "status", "reports", "watch", "truth"):
        assert f"\n  {cmd}" in p.stdout, f"{cmd} missing from aia drift --help:\n{p.stdout}"


@pytest.mark.parametrize("cmd,options", [
    ("setup", ("--reference", "--features", "--test", "--threshold", "--window-size", "--check-interval",
               "--on-data-drift", "--on-concept-drift", "--on-prediction-drift", "--webhook", "--cooldown",
               "--version", "--drift-share", "--concept-metric", "--concept-tolerance", "--label",
               "wasserstein_normed", "jensen_shannon", "z_test")),
    ("check", ("--data", "--skip-actions", "P-VALUE", "THRESHOLD")),
    ("status", ("--monitor",)),
    ("reports", ("--monitor", "--model", "--drifted-only", "--page-size", "--page-token")),
    ("watch", ("--model", "--monitor", "--kind", "--since", "Ctrl-C")),
    ("truth", ("--file", "--id", "--label", "--value", "prediction_id")),
])
def test_command_help_documents_its_options(cmd, options):
    for help_args in (["drift", cmd, "--help"], ["drift", cmd, "-h"]):
        p = e2e.run_cli(*help_args)
        assert p.returncode == 0, e2e.describe_proc(p)
        assert p.stdout.startswith(f"usage: aia drift {cmd}"), e2e.describe_proc(p)
        for opt in options:
            assert opt in p.stdout, f"{opt} missing from aia drift {cmd} --help:\n{p.stdout}"
