"""Writes botocore.json: requests signed by botocore's own SigV4 signer (the signer of
aws-cli v1 and boto3), laid out as the clients send them. Run with any botocore:

    python3 generate_botocore.py > botocore.json

No network access: the time is pinned and nothing is sent.
"""
import datetime
import json
import logging
from urllib.parse import urlsplit

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AKID = "AKIAPROBEEXAMPLE0001"
SECRET = "probeSecretKeyExample/0001+abcdefghijklmn"
TOKEN = "FQoGZXIvYXdzEXAMPLETOKEN//+="
WHEN = datetime.datetime(2026, 11, 23, 12, 46, 39)
botocore.auth.get_current_datetime = lambda *a, **k: WHEN

captured = []


class Capture(logging.Handler):
    def emit(self, record):
        if record.msg.startswith("CanonicalRequest"):
            captured.append(record.args[0])


logging.getLogger("botocore.auth").addHandler(Capture())
logging.getLogger("botocore.auth").setLevel(logging.DEBUG)

CREATE_ROLE = (
    "Action=CreateRole&Version=2010-05-08&Path=%2Fprobe%2F&RoleName=probe-role"
    "&AssumeRolePolicyDocument=%7B%22Version%22%3A+%222012-10-17%22%2C+%22Statement%22%3A+%5B%5D%7D"
    "&Description=probe+role&Tags.member.1.Key=team&Tags.member.1.Value=a+b%26c"
)
UA = "aws-cli/1.46.3 md/Botocore#1.43.62 ua/2.1 cfg/retry-mode#legacy botocore/1.43.62"


def vector(name, service, region, method, url, signing_headers, body=b"", params=None,
           token=None, presign_expires=None, before=(), after=()):
    """Signs like botocore; `before`/`after` are headers the HTTP stack adds around the
    signed ones (Host first, the retry headers last); botocore sets Content-Length itself."""
    creds = Credentials(AKID, SECRET, token)
    request = AWSRequest(method=method, url=url, headers=dict(signing_headers),
                         data=body, params=params or {})
    if presign_expires is None:
        signer = botocore.auth.SigV4Auth(creds, service, region)
    else:
        signer = botocore.auth.SigV4QueryAuth(creds, service, region, expires=presign_expires)
    captured.clear()
    signer.add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    headers = list(before) + [(k, v) for k, v in prepared.headers.items()]
    headers += list(after)
    return {
        "name": name,
        "service": service,
        "region": region,
        "method": method,
        "path": parts.path,
        "query": parts.query,
        "headers": headers,
        "body": body.decode(),
        "canonical_request": captured[-1],
        "presigned": presign_expires is not None,
    }


vectors = [
    vector("aws-cli iam create-role", "iam", "us-east-1", "POST", "http://127.0.0.1:18081/",
           [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("User-Agent", UA)],
           body=CREATE_ROLE.encode(),
           before=[("Host", "127.0.0.1:18081"), ("Accept-Encoding", "identity")],
           after=[("amz-sdk-invocation-id", "be078000-5f44-4ba5-9ef8-3544b3b3667d"),
                  ("amz-sdk-request", "attempt=1")]),
    vector("aws-cli sts get-caller-identity, session token, eu-west-1", "sts", "eu-west-1", "POST",
           "http://127.0.0.1:18081/",
           [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("User-Agent", UA)],
           body=b"Action=GetCallerIdentity&Version=2011-06-15", token=TOKEN,
           before=[("Host", "127.0.0.1:18081")]),
    vector("GET with query parameters (space sent as +)", "iam", "us-east-1", "GET",
           "http://127.0.0.1:18081/",
           [("User-Agent", UA)],
           params={"Action": "ListRoles", "Version": "2010-05-08", "PathPrefix": "/a b/",
                   "Marker": "x+y~z*\u00e9!'()", "MaxItems": "10"},
           before=[("Host", "127.0.0.1:18081")]),
    vector("path with escapes, dot segments and double slashes", "iam", "us-east-1", "POST",
           "http://127.0.0.1:18081/foo%3Dbar//baz/./qux/../quux",
           [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
           body=b"Action=ListRoles&Version=2010-05-08",
           before=[("Host", "127.0.0.1:18081")]),
    vector("presigned sts GetCallerIdentity (EKS-style token)", "sts", "us-east-1", "GET",
           "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
           [("x-k8s-aws-id", "my-cluster")], token=TOKEN, presign_expires=60,
           before=[("Host", "sts.amazonaws.com")]),
]

print(json.dumps({"generator": "botocore " + botocore.__version__,
                  "access_key_id": AKID, "secret_access_key": SECRET,
                  "x_amz_date": WHEN.strftime("%Y%m%dT%H%M%SZ"), "vectors": vectors},
                 indent=1, ensure_ascii=False))
