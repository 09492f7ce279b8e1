"""A real S3 endpoint for tests: moto's server (`ThreadedMotoServer`) on 127.0.0.1, one per test session.

Each test gets a bucket of its own, so tests never see one another's files.
"""

from __future__ import annotations

import socket
import uuid

import pytest

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of a moto S3 server running for the whole session."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def make_bucket(endpoint: str) -> str:
    """A new empty bucket on the endpoint; its name."""
    import boto3

    name = f"shop-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_settings(s3_endpoint) -> dict:
    """STORAGE_URL and the AWS settings of a fresh bucket (prefix `media`), as the app's config takes them."""
    return {"STORAGE_URL": f"s3://{make_bucket(s3_endpoint)}/media", "AWS_ENDPOINT_URL": s3_endpoint, **CREDENTIALS}


def s3_storage(settings: dict):
    """The S3 backend the settings name."""
    from catalogue.storage import storage_from_url

    return storage_from_url(settings["STORAGE_URL"], settings)


@pytest.fixture
def s3_app(app, s3_settings):
    """The test app (empty database) with its files in a fresh bucket."""
    app.config.update(s3_settings)
    app.extensions["catalogue.storage"] = s3_storage(s3_settings)
    return app
