"""Specification of the kept User-Agent strings (docs/architecture.md, "aws/")."""

from __future__ import annotations

from typing import Any

import pytest

from sagesweep.aws.client import ClientSettings, sagemaker_client
from sagesweep.aws.useragent import reuse_user_agent
from sagesweep.commands.embedded import embedded_mock


class TestKeptUserAgent:
    async def test_header_sent_is_the_one_botocore_builds(self) -> None:
        """Every call's User-Agent equals a fresh build made at send time."""
        sent: list[tuple[str, str]] = []
        with embedded_mock() as url:
            settings = ClientSettings(endpoint_url=url, mock=True)
            async with sagemaker_client(settings) as client:
                creator: Any = getattr(client, "_user_agent_creator")  # noqa: B009 - botocore keeps it

                def capture(request: Any, **_: Any) -> None:
                    fresh = type(creator).to_string(creator)
                    sent.append((request.headers["User-Agent"].decode(), fresh))

                client.meta.events.register("before-send.sagemaker", capture)
                for _ in range(3):
                    await client.list_training_jobs(MaxResults=1)
        assert len(sent) == 3
        for header, fresh in sent:
            assert header == fresh
            assert "botocore/" in header

    async def test_built_once_per_feature_set(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Calls after the first reuse the string instead of building it again."""
        from botocore.useragent import UserAgentString

        builds: list[int] = []
        original = UserAgentString.to_string

        def counted(self: UserAgentString) -> str:
            builds.append(1)
            return str(original(self))

        monkeypatch.setattr(UserAgentString, "to_string", counted)
        with embedded_mock() as url:
            settings = ClientSettings(endpoint_url=url, mock=True)
            async with sagemaker_client(settings) as client:
                for _ in range(5):
                    await client.list_training_jobs(MaxResults=1)
        # Without reuse: two builds a call (ten). With it: one per distinct feature set.
        assert 1 <= len(builds) <= 2

    def test_a_client_without_the_builder_is_left_alone(self) -> None:
        """An object that does not keep a builder where botocore does: nothing installed."""
        assert reuse_user_agent(object()) is False
