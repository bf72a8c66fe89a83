"""Specification of digests and job names, the idempotency key (docs/naming.md)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sagesweep.planning.naming import (
    DIGEST_TAG,
    SWEEP_TAG,
    DigestIndex,
    digest_bytes,
    digest_of,
    job_name,
)

#: SageMaker's pattern for TrainingJobName.
NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
NAME_RE = re.compile(NAME_PATTERN)
SWEEP_NAMES = st.from_regex(r"\A[a-zA-Z0-9](-*[a-zA-Z0-9]){0,39}\Z").filter(lambda s: len(s) <= 40)

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
REQUESTS = st.dictionaries(st.text(min_size=1, max_size=12), JSON_VALUES, max_size=6)


def expected_digest(request: dict[str, Any]) -> str:
    """The digest of docs/naming.md, recomputed here from the standard library alone."""
    body = {k: v for k, v in request.items() if k != "TrainingJobName"}
    if isinstance(body.get("Tags"), list):
        own = (SWEEP_TAG, DIGEST_TAG)
        tags = [
            t
            for t in body["Tags"]
            if not (isinstance(t, dict) and isinstance(t.get("Key"), str) and t["Key"] in own)
        ]
        if tags:
            body["Tags"] = tags
        else:
            del body["Tags"]
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    full = hashlib.sha256(text.encode("utf-8")).digest()
    return base64.b32encode(full).decode("ascii").rstrip("=").lower()[:10]


def reordered(obj: Any) -> Any:
    """The same value with every dict's keys in reverse insertion order."""
    if isinstance(obj, dict):
        return {k: reordered(obj[k]) for k in reversed(list(obj))}
    if isinstance(obj, list):
        return [reordered(v) for v in obj]
    return obj


REQUEST: dict[str, Any] = {
    "RoleArn": "arn:aws:iam::123456789012:role/R",
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
    "HyperParameters": {"eta": "0.1", "note": "héllo ✓"},
    "CheckpointConfig": {"S3Uri": "s3://b/{job}/"},
    "Tags": [{"Key": "team", "Value": "x"}],
}


class TestDigest:
    def test_definition(self) -> None:
        """digest = base32(sha256(canonical JSON))[:10], lowercase, no padding."""
        assert digest_of(REQUEST) == expected_digest(REQUEST)

    @pytest.mark.parametrize(
        ("request_", "digest"),
        [
            pytest.param({"A": 1}, "klo5yf2vvg", id="tiny"),
            pytest.param({"HyperParameters": {"eta": "0.1"}}, "aw7polzsai", id="hyperparameter"),
        ],
    )
    def test_known_values(self, request_: dict[str, Any], digest: str) -> None:
        """Digests of fixed requests are pinned: they must never change between versions."""
        assert digest_of(request_) == digest
        assert expected_digest(request_) == digest

    def test_name_and_own_tags_are_ignored(self) -> None:
        """TrainingJobName and the sagesweep tags do not change the digest."""
        named = {
            **REQUEST,
            "TrainingJobName": "whatever",
            "Tags": [
                *REQUEST["Tags"],
                {"Key": SWEEP_TAG, "Value": "s"},
                {"Key": DIGEST_TAG, "Value": "d"},
            ],
        }
        assert digest_of(named) == digest_of(REQUEST)

    def test_only_own_tags_means_no_tags(self) -> None:
        """A request whose only tags are sagesweep's digests like one without Tags."""
        bare = {k: v for k, v in REQUEST.items() if k != "Tags"}
        with_own = {**bare, "Tags": [{"Key": SWEEP_TAG, "Value": "s"}]}
        assert digest_of(with_own) == digest_of(bare)

    @pytest.mark.parametrize(
        "tags",
        [
            pytest.param([{"Key": ["sagesweep:sweep"], "Value": "x"}], id="list-key"),
            pytest.param([{"Key": {"a": 1}}], id="map-key"),
            pytest.param(["sagesweep:sweep"], id="bare-string"),
            pytest.param("Tags", id="not-a-list"),
        ],
    )
    def test_malformed_tags_are_digested_as_they_are(self, tags: Any) -> None:
        """Malformed tags are data to digest (the validator reports them), not a crash."""
        request = {**REQUEST, "Tags": tags}
        assert digest_of(request) == expected_digest(request)

    def test_any_change_changes_the_digest(self) -> None:
        """A different value, even only in type, is a different job."""
        variants = [
            REQUEST,
            {**REQUEST, "HyperParameters": {"eta": "0.10", "note": "héllo ✓"}},
            {**REQUEST, "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1.0}},
            {**REQUEST, "Tags": [{"Key": "team", "Value": "y"}]},
        ]
        assert len({digest_of(v) for v in variants}) == len(variants)

    def test_non_finite_floats_are_refused(self) -> None:
        """NaN has no canonical JSON: digesting it is a ValueError, never a silent digest."""
        with pytest.raises(ValueError, match="JSON"):
            digest_of({"A": float("nan")})

    @settings(max_examples=100, deadline=None)
    @given(request=REQUESTS)
    def test_definition_holds_for_any_request(self, request: dict[str, Any]) -> None:
        """For any JSON request the digest matches the definition and ignores key order."""
        digest = digest_of(request)
        assert digest == expected_digest(request)
        assert re.fullmatch(r"[a-z2-7]{10}", digest)
        assert digest_of(reordered(request)) == digest


class TestJobName:
    @settings(max_examples=120, deadline=None)
    @given(sweep=SWEEP_NAMES, request=REQUESTS, attempt=st.integers(0, 99))
    def test_names_always_valid(self, sweep: str, request: dict[str, Any], attempt: int) -> None:
        """Names match the SageMaker pattern, fit 51 (+ -rN) chars, and are stable."""
        digest = digest_of(request)
        name = job_name(sweep, digest)
        assert NAME_RE.fullmatch(name)
        assert len(name) <= 51
        assert name == f"{sweep}-{digest}"
        assert job_name(sweep, digest_of(reordered(request))) == name
        again = job_name(sweep, digest, attempt)
        assert NAME_RE.fullmatch(again)
        assert again == name + (f"-r{attempt}" if attempt else "")

    @pytest.mark.parametrize(
        ("attempt", "expected"),
        [
            pytest.param(0, "xgb-abcdefghij", id="first-attempt"),
            pytest.param(1, "xgb-abcdefghij-r1", id="first-resubmission"),
            pytest.param(12, "xgb-abcdefghij-r12", id="later-resubmission"),
        ],
    )
    def test_attempt_suffix(self, attempt: int, expected: str) -> None:
        """Attempt 0 is {sweep}-{digest}; attempt n >= 1 appends -r{n}."""
        assert job_name("xgb", "abcdefghij", attempt) == expected

    def test_negative_attempt_is_a_bug(self) -> None:
        """Attempts count from 0."""
        with pytest.raises(ValueError, match="attempt"):
            job_name("xgb", "abcdefghij", -1)

    def test_longest_sweep(self) -> None:
        """A 40-character sweep gives a 51-character name."""
        assert len(job_name("a" * 40, digest_of({}))) == 51


def full_hash(i: int) -> bytes:
    return hashlib.sha256(str(i).encode()).digest()


class TestDigestIndex:
    def test_new_then_duplicate(self) -> None:
        """The first sight of a hash is new, the next a duplicate."""
        index = DigestIndex()
        assert index.add(full_hash(1)) == "new"
        assert index.add(full_hash(1)) == "duplicate"
        assert index.add(full_hash(2)) == "new"
        assert len(index) == 2

    def test_collision_is_same_digest_different_hash(self) -> None:
        """Same 50-bit digest but a different rest of the hash is a collision."""
        index = DigestIndex()
        a = full_hash(1)
        b = a[:8] + bytes(x ^ 0xFF for x in a[8:16]) + a[16:]
        assert index.add(a) == "new"
        assert index.add(b) == "collision"
        assert index.add(a) == "duplicate"

    def test_grows_past_its_initial_capacity(self) -> None:
        """Far more hashes than the initial capacity are all kept and all recognised."""
        index = DigestIndex(capacity=1)
        hashes = [full_hash(i) for i in range(5000)]
        assert [index.add(h) for h in hashes] == ["new"] * 5000
        assert len(index) == 5000
        assert all(index.add(h) == "duplicate" for h in hashes)
        twisted = [h[:8] + bytes(x ^ 1 for x in h[8:16]) + h[16:] for h in hashes[::97]]
        assert all(index.add(h) == "collision" for h in twisted)
        assert len(index) == 5000

    def test_slot_clashes_are_not_collisions(self) -> None:
        """Digests that land in the same slot are different digests, both new."""
        index = DigestIndex(capacity=4)
        base = full_hash(7)
        prefix = int.from_bytes(base[:8], "big")
        other = ((prefix + (1 << 30)) & (2**64 - 1)).to_bytes(8, "big") + base[8:]
        assert index.add(base) == "new"
        assert index.add(other) == "new"
        assert index.add(other) == "duplicate"

    def test_digest_bytes_is_sha256_of_the_canonical_body(self) -> None:
        """The index is fed the full sha256 the digest is the prefix of."""
        full = digest_bytes(REQUEST)
        assert base64.b32encode(full).decode().lower()[:10] == digest_of(REQUEST)
