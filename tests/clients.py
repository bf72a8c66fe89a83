"""A boto3 client of a mock server, as the tests that check it from outside make one."""

from __future__ import annotations

from typing import Any

import boto3

from sagesweep.mock import MockServer


def boto3_client(server: MockServer, service: str = "sagemaker") -> Any:
    """A plain boto3 client of ``service`` on ``server``, with dummy credentials."""
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
