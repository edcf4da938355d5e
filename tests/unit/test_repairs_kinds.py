"""The kinds' registry: one class per kind, each complete, listed in one place."""

from datetime import UTC, datetime, timedelta

from jobs.repairs.kinds import DEFAULT_KINDS, INLINE, KIND_CLASSES, KIND_LABELS, KIND_RULES, KINDS, KINDS_BY_NAME, Kind
from jobs.steps_store import StoredObject


def test_every_kind_is_one_registered_class_that_describes_itself():
    assert KINDS == ("both_present", "dangling_key", "foreign_key", "orphan_object", "oversize_inline")
    for cls in KIND_CLASSES:
        kind = KINDS_BY_NAME[cls.name]
        assert isinstance(kind, Kind) and type(kind) is cls
        assert cls.detect is not Kind.detect  # every kind detects itself
        assert kind.describe() == {"kind": cls.name, "label": KIND_LABELS[cls.name], "rule": KIND_RULES[cls.name]}
    # Only the kind that reads whole items is left out of the default (keys-only) scan.
    assert set(KINDS) - set(DEFAULT_KINDS) == {name for name, kind in KINDS_BY_NAME.items() if kind.source == INLINE}


def test_only_foreign_key_has_no_repair():
    assert [name for name, kind in KINDS_BY_NAME.items() if type(kind).plan is Kind.plan] == ["foreign_key"]


def test_an_object_of_unknown_age_counts_as_young():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    old = StoredObject(key="k", size=1, last_modified=now - timedelta(seconds=3600))
    assert not old.younger_than(3600, now) and old.younger_than(3601, now)
    assert StoredObject(key="k", size=1).younger_than(0, now)
