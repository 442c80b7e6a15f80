"""boto3 clients built from the IAM and STS models Portcullis vendors (botocore 1.44.18, in
crates/protocol/data), through botocore's data-path loader: the aws CLI v1 pins an older
botocore, so the venv's own models lack the newest operations and paginators."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import boto3
import botocore.session
from botocore.config import Config

from harness import REGION, Runner

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "crates" / "protocol" / "data"
VERSIONS = {"iam": "2010-05-08", "sts": "2011-06-15"}


def vendored_models() -> Path:
    """A botocore data directory holding the vendored IAM and STS models."""
    root = Path(tempfile.mkdtemp(prefix="portcullis-models-"))
    for service, version in VERSIONS.items():
        folder = root / service / version
        folder.mkdir(parents=True)
        shutil.copy(DATA / f"{service}-service-2.json", folder / "service-2.json")
        shutil.copy(DATA / f"{service}-paginators-1.json", folder / "paginators-1.json")
    return root


def vendored_client(r: Runner, models: Path, service: str, creds: tuple[str, str] | None = None):
    """A boto3 client of `service` built from the vendored 1.44.18 model."""
    core = botocore.session.get_session()
    core.get_component("data_loader").search_paths.insert(0, str(models))
    key, secret = creds or r.root
    session = boto3.session.Session(
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name=REGION,
        botocore_session=core,
    )
    return session.client(service, endpoint_url=r.endpoint, config=Config(retries={"total_max_attempts": 1}))
