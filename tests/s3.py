"""A real S3 API on loopback for the remote tests: moto's server in a thread of the test process, with IAM
authentication switched on, so wrong credentials are refused as AWS refuses them."""

from __future__ import annotations

import json
import socket
import tempfile
from dataclasses import dataclass, field

import boto3
import moto.settings
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
ALLOW_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class S3Server:
    port: int = field(default_factory=free_port)
    access_key: str = ""
    secret_key: str = ""

    def __post_init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._files = tempfile.TemporaryDirectory(prefix="aws-")
        self.empty_aws_file = f"{self._files.name}/empty"  # stands for ~/.aws/config and credentials
        open(self.empty_aws_file, "w").close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> S3Server:
        """Start serving; the first time, create an IAM user allowed s3:* and switch authentication on. moto keeps
        its buckets in this process, so a restart after `stop` serves what was stored before."""
        self._server.start()
        if not self.access_key:
            user = f"dvc-{self.port}"  # moto's state is shared by every server in this process
            moto.settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")  # unauthenticated while the user is made
            iam = boto3.client("iam", **self._client_options("bootstrap", "bootstrap"))
            iam.create_user(UserName=user)
            iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps(ALLOW_S3))
            key = iam.create_access_key(UserName=user)["AccessKey"]
            self.access_key, self.secret_key = key["AccessKeyId"], key["SecretAccessKey"]
            moto.settings.INITIAL_NO_AUTH_ACTION_COUNT = 0  # from now on every request must be signed by a user
        return self

    def stop(self) -> None:
        self._server.stop()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def _client_options(self, access_key: str, secret_key: str) -> dict:
        return {
            "endpoint_url": self.url,
            "region_name": REGION,
            "aws_access_key_id": access_key,
            "aws_secret_access_key": secret_key,
        }

    def client(self) -> object:
        return boto3.client("s3", **self._client_options(self.access_key, self.secret_key))

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def environment(self, secret_key: str | None = None) -> dict[str, str]:
        """What a user's shell holds for DVC: the keys in the usual AWS variables, never in the repository; no
        ~/.aws files and no instance metadata lookups, so nothing outside loopback is asked."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key if secret_key is None else secret_key,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": self.empty_aws_file,
            "AWS_SHARED_CREDENTIALS_FILE": self.empty_aws_file,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
