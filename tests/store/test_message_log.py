"""The message log on both backends: raw bytes kept, resends logged once as first copies."""

from __future__ import annotations

from datetime import timedelta

import pytest

from painfhir.store import InboundMessage, MessageOutcome, MessageQuery, Store


def _inbound(control_id: str | None = "MSG1", raw: bytes = b"MSH|^~\\&|A\r") -> InboundMessage:
    return InboundMessage(
        raw=raw,
        channel="mllp",
        remote_peer="127.0.0.1:40000",
        content_type=None,
        sending_application="GHH",
        sending_facility="",
        control_id=control_id,
        message_type="REF^I12^REF_I12",
    )


def test_a_message_is_kept_byte_for_byte(store: Store) -> None:
    raw = b"\xef\xbb\xbfMSH|^~\\&|A|\xe9\r\n\x00odd"
    logged = store.messages.record(_inbound(raw=raw))
    again = store.messages.get(logged.id)
    assert again is not None
    assert again.raw == raw
    assert (again.status, again.duplicate_of, again.attempts) == ("received", None, 1)


def test_a_resend_is_logged_as_a_duplicate_of_the_first_copy(store: Store) -> None:
    first = store.messages.record(_inbound())
    resend = store.messages.record(_inbound(raw=b"MSH|resent"))
    assert (resend.status, resend.duplicate_of) == ("duplicate", first.id)
    assert resend.raw == b"MSH|resent"
    third = store.messages.record(_inbound())
    assert third.duplicate_of == first.id


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param("MSG1", "MSG2", id="other control id"),
        pytest.param(None, None, id="no control id: never a duplicate"),
    ],
)
def test_distinct_messages_are_not_duplicates(
    store: Store, first: str | None, second: str | None
) -> None:
    store.messages.record(_inbound(first))
    assert store.messages.record(_inbound(second)).duplicate_of is None


def test_finish_records_the_outcome(store: Store) -> None:
    logged = store.messages.record(_inbound())
    outcome = MessageOutcome("failed", "AE", b"MSH|ack", b'{"issue":[]}', "ref-i12", None)
    store.messages.finish(logged.id, outcome)
    done = store.messages.get(logged.id)
    assert done is not None
    assert (done.status, done.ack_code, done.ack, done.errors, done.module) == (
        "failed",
        "AE",
        b"MSH|ack",
        b'{"issue":[]}',
        "ref-i12",
    )
    assert done.processed_at is not None


def test_only_failed_or_rejected_messages_can_be_claimed_for_replay(store: Store) -> None:
    logged = store.messages.record(_inbound())
    assert not store.messages.claim_for_replay(logged.id)  # still received
    store.messages.finish(logged.id, MessageOutcome("failed", "AE", None))
    assert store.messages.claim_for_replay(logged.id)
    assert not store.messages.claim_for_replay(logged.id)  # the first claim won
    claimed = store.messages.get(logged.id)
    assert claimed is not None
    assert (claimed.status, claimed.attempts) == ("received", 2)


def test_search_filters_and_pages_newest_first(store: Store) -> None:
    ids = [store.messages.record(_inbound(f"C{n}")).id for n in range(5)]
    store.messages.finish(ids[1], MessageOutcome("failed", "AE", None))
    assert [m.id for m in store.messages.search(MessageQuery(status="failed"))] == [ids[1]]
    assert [m.id for m in store.messages.search(MessageQuery(control_id="C3"))] == [ids[3]]
    page = store.messages.search(MessageQuery(count=2))
    assert [m.id for m in page] == ids[:1:-1][:3]
    rest = store.messages.search(MessageQuery(count=2, before_id=page[1].id))
    assert [m.id for m in rest] == [ids[2], ids[1], ids[0]]
    later = page[0].received_at + timedelta(seconds=1)
    assert store.messages.search(MessageQuery(since=later)) == []
