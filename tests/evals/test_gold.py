"""Gold replies: the files load and are varied, rates are computed right, and the checks built on
the learned coder meet the 0.90 true-positive / true-negative bar."""

from __future__ import annotations

from collections import Counter

import pytest

from companion.evals import gold
from companion.evals.gold import CHECKS, GoldError, load_gold, rates


def test_gold_set_is_large_and_varied():
    items = load_gold()
    assert len(items) >= 60
    assert len({i.id for i in items}) == len(items)
    assert all(i.reason.strip() and i.reply.strip() for i in items)
    verdicts = Counter((c, v) for i in items for c, v in i.expect.items())
    for check in CHECKS:  # every check has replies that should pass and replies that should fail
        assert verdicts[(check, True)] >= 2 and verdicts[(check, False)] >= 2, check


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("- {id: a, user: [hi], reply: x, expect: {open_question: yes}, reason: r}", "verdict must be 'pass' or 'fail'"),
        ("- {id: a, user: [hi], reply: x, expect: {open_qestion: pass}, reason: r}", "unknown check"),
        ("- {id: a, user: [hi], reply: x, reason: r}", "missing expect"),
        ("- {id: a, user: [], reply: x, expect: {on_topic: pass}, reason: r}", "user must be"),
        ("- {id: a, user: [hi], reply: x, expect: {on_topic: pass}, reason: r}\n"
         "- {id: a, user: [hi], reply: y, expect: {on_topic: fail}, reason: r}", "duplicate id"),
        ("id: a", "must be a list"),
    ],
)
def test_malformed_gold_is_a_named_error(tmp_path, body, message):
    (tmp_path / "bad.yaml").write_text(body)
    with pytest.raises(GoldError, match=message):
        load_gold(tmp_path)


def test_empty_folder_is_an_error(tmp_path):
    with pytest.raises(GoldError, match="no gold files"):
        load_gold(tmp_path)


def test_rates_count_true_positives_and_negatives(tmp_path):
    (tmp_path / "g.yaml").write_text(
        "- {id: p1, user: [u], reply: good, expect: {on_topic: pass}, reason: r}\n"
        "- {id: p2, user: [u], reply: good, expect: {on_topic: pass}, reason: r}\n"
        "- {id: n1, user: [u], reply: bad, expect: {on_topic: fail}, reason: r}\n"
        "- {id: n2, user: [u], reply: good, expect: {on_topic: fail}, reason: r}\n"
        "- {id: x, user: [u], reply: bad, expect: {open_question: fail}, reason: r}\n"
    )
    r = rates(load_gold(tmp_path), {"on_topic": lambda i: i.reply == "good"})["on_topic"]
    assert (r.positives, r.negatives, r.true_positives, r.true_negatives) == (2, 2, 2, 1)
    assert r.tpr == 1.0 and r.tnr == 0.5 and r.misses == ["n2"] and not r.meets()
    assert "BELOW" in gold.format_rates({"on_topic": r})


def test_learned_checks_meet_the_bar_on_gold():
    result = rates(load_gold(), gold.learned_scorers())
    print("\n" + gold.format_rates(result))
    for check in gold.TRUSTED:
        r = result[check]
        assert r.meets(), f"{check}: TPR {r.tpr} TNR {r.tnr}, misses {r.misses}"


def test_registered_checks_map_to_gold_verdicts():
    from companion.evals.checks import REGISTRY

    for name, (spec, verdict) in gold.REGISTERED.items():
        assert name in REGISTRY and spec["check"] == name and verdict in CHECKS
    assert set(gold.TRUSTED_REGISTERED) <= set(gold.REGISTERED)


def test_registered_checks_are_scored_through_the_check_class_and_trusted_ones_meet_the_bar():
    result = gold.registered_rates(load_gold())
    print("\n" + gold.format_rates(result, trusted=gold.TRUSTED_REGISTERED))
    assert set(result) == set(gold.REGISTERED)
    for r in result.values():  # every mapped check is judged on both sides
        assert r.positives and r.negatives
    for check in gold.TRUSTED_REGISTERED:
        r = result[check]
        assert r.meets(), f"{check}: TPR {r.tpr} TNR {r.tnr}, misses {r.misses}"


def test_gold_cli_prints_registered_checks_and_trust(capsys):
    assert gold.main([]) == 0
    out = capsys.readouterr().out
    assert "registered checks" in out
    for name in gold.REGISTERED:
        assert name in out
    if set(gold.REGISTERED) - set(gold.TRUSTED_REGISTERED):
        assert "untrusted" in out
