"""The verb table and the error vocabulary: one row per verb, one set of codes, and the
docs, the client CLI and the limits all read from them."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import bridge
import models
import multitrack
from bridge import protocol, verbs
from bridge.cli import build_parser
from bridge.protocol import JobSpec
from bridge.verbs import CHORDS_OPT, JOB, SEED_OPT, Param, Verb, job_builder, submit_job
from models.request import BARS, EXTEND, GUIDANCE, STEPS
from multitrack.errors import CODES, MultitrackError

DOC = (Path(__file__).resolve().parents[2] / "docs" / "osc.md").read_text(encoding="utf-8")


def all_error_classes() -> list[type[MultitrackError]]:
    for package in (multitrack, models, bridge):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if "checkpoints" not in info.name:
                importlib.import_module(info.name)
    found, todo = [], [MultitrackError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def test_every_error_class_speaks_the_one_vocabulary() -> None:
    classes = all_error_classes()
    assert len(classes) > 10
    for cls in classes:
        if "code" in vars(cls):
            assert cls.code in CODES, cls


def test_docs_list_every_code_and_nothing_else() -> None:
    section = DOC[DOC.index("### Error codes") : DOC.index("## Shutdown and faults")]
    assert re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M) == list(CODES)


def section_options(address: str) -> list[str]:
    start = DOC.index(f"### `{address}")
    end = DOC.index("\n### ", start + 1)
    names: list[str] = []
    for cell in re.findall(r"^\| (`[a-z_]+`(?:, `[a-z_]+`)*) \|", DOC[start:end], flags=re.M):
        names += re.findall(r"`([a-z_]+)`", cell)
    return names


@pytest.mark.parametrize("verb", verbs.VERBS, ids=lambda v: v.name)
def test_docs_document_each_verb_and_exactly_its_options(verb: Verb) -> None:
    assert f"### `{verb.address}" in DOC
    assert sorted(section_options(verb.address)) == sorted(p.name for p in verb.options)


def test_the_client_cli_offers_every_option_of_the_job_verbs() -> None:
    send = build_parser()._subparsers._group_actions[0].choices["send"]  # type: ignore[union-attr]
    actions = send._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for verb in (verbs.BY_ADDRESS[protocol.GENERATE], verbs.BY_ADDRESS[protocol.REGENERATE]):
        dests = {a.dest for a in actions[verb.name]._actions}
        assert {p.name for p in verb.options} <= dests, verb.name


def test_limits_are_the_same_objects_everywhere() -> None:
    generate = verbs.BY_ADDRESS[protocol.GENERATE]
    for name, limit in (("bars", BARS), ("guidance", GUIDANCE), ("steps", STEPS)):
        param = generate.option(name)
        assert param is not None and limit.span in param.help
        with pytest.raises(MultitrackError) as info:
            verbs.parse_request(protocol.GENERATE, ["j", "p", name, limit.hi + 1])
        assert info.value.code == "bad_value"
        assert str(info.value) == f"{name} must be {limit.span}, got {limit.hi + 1:g}"


def test_a_new_verb_is_one_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the song-form issue's `extend` needs: a row, nothing else in the bridge."""
    from bridge.arguments import read_integer

    extend = Verb(
        f"{protocol.PREFIX}/extend",
        (JOB, Param("from_job", verbs.read_job, field="source")),
        job_builder("extend"),
        submit_job,
        options=(Param("bars", read_integer(EXTEND), field="extend"), SEED_OPT, CHORDS_OPT),
    )
    monkeypatch.setitem(verbs.BY_ADDRESS, extend.address, extend)
    verb, spec = verbs.parse_request(extend.address, ["more", "src", "bars", 4, "seed", 2])
    assert verb is extend and isinstance(spec, JobSpec)
    assert (spec.kind, spec.source, spec.ask.extend, spec.ask.seed) == ("extend", "src", 4, 2)
    assert verbs.error_job_of(extend.address, ["more"]) == "more"
    with pytest.raises(MultitrackError) as info:
        verbs.parse_request(extend.address, ["more", "src", "bars", 99])
    assert info.value.code == "bad_value"
