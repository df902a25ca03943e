"""The fault suite's checker can fail: a lost effect, a duplicate, a message no one sent and a
missing notification are each found; an interrupted action may have taken effect or not."""

from __future__ import annotations

from collections import Counter

from tests.fault.checker import Action, Effects, check

SEEKERS = ["s0", "s1"]
CONV = "app-a0"


def effects_for(apps: dict[tuple[str, str], list[str]], messages: dict[int, int]) -> Effects:
    """Effects as a healthy system leaves them for these applications and messages."""
    e = Effects(applications=apps)
    for ids in apps.values():
        for a in ids:
            e.conversations[a] += 1
            e.application_notifications[a] += 1
    for number, copies in messages.items():
        for c in range(copies):
            mid = f"m{number}-{c}"
            e.messages.setdefault(number, []).append((mid, CONV, ["employer:e"]))
            e.message_marks[mid] += 1
            e.message_notifications[("employer:e", CONV)] += 1
    return e


def actions() -> list[Action]:
    return [
        Action(0, "apply", seeker=0, job_id="j0", outcome="acked"),
        Action(1, "message", conversation_id=CONV, sender="seeker", outcome="acked"),
        Action(2, "apply", seeker=1, job_id="j0", outcome="uncertain"),
        Action(3, "message", conversation_id=CONV, sender="seeker", outcome="acked"),
    ]


def test_a_healthy_run_passes_whether_or_not_an_interrupted_action_took_effect() -> None:
    for second in ([], ["a1"]):
        apps = {("s0", "j0"): ["a0"], ("s1", "j0"): second}
        report = check(actions(), effects_for(apps, {1: 1, 3: 1}), SEEKERS)
        assert (report.lost, report.duplicated) == (0, 0), report.problems()
        assert report.outcomes == Counter({"acked": 3, "uncertain": 1})


def test_lost_and_duplicated_effects_are_counted_where_they_happen() -> None:
    e = effects_for({("s0", "j0"): ["a0"], ("s1", "j0"): ["a1", "a2"]}, {1: 1, 3: 1})
    e.application_notifications["a0"] = 0  # the notifier missed an event
    e.message_marks["m3-0"] = 0
    e.message_notifications[("employer:e", CONV)] += 1  # one notification too many
    report = check(actions(), e, SEEKERS)
    t = report.tallies
    assert t["applications"].duplicated == 1  # two applications for one interrupted action
    assert t["notifier.application_notifications"].lost == 1
    assert t["notifier.message_marks"].lost == 1
    assert t["notifier.message_notifications"].duplicated == 1
    assert (report.lost, report.duplicated) == (2, 2)


def test_an_acknowledged_action_without_effect_and_a_message_never_sent_are_found() -> None:
    e = effects_for({("s1", "j0"): ["a1"]}, {1: 1, 3: 1, 99: 1})
    e.conversations["a1"] = 0
    report = check(actions(), e, SEEKERS)
    t = report.tallies
    assert t["applications"].lost == 1  # action 0 was told it succeeded
    assert t["messaging.conversations"].lost == 1
    assert t["messaging.messages"].duplicated == 1  # "#99": no action sent it
    assert report.problems()


def test_an_already_applied_answer_without_an_application_is_reported() -> None:
    acts = actions()
    acts[2].answers = ["ReadTimeout", "409"]
    report = check(acts, effects_for({("s0", "j0"): ["a0"]}, {1: 1, 3: 1}), SEEKERS)
    assert (report.lost, report.duplicated) == (0, 0)
    assert report.conflict_without_effect == [2]
