"""AssumeRoleWithSAML with the real aws CLI and boto3.

The check plays a SAML identity provider: it writes a response whose assertion is already in
its exclusive canonical form, digests it with hashlib and signs its SignedInfo with RSA
PKCS#1 v1.5 (the `rsa` package the aws CLI itself depends on), with the test key of
crates/server/src/iam/testdata (server.key; its certificate server.crt is in the provider's
metadata). Then `aws sts assume-role-with-saml` (sent unsigned by the CLI) gets a role
session, `aws sts get-caller-identity` runs with it, and a tampered response, one signed with
another key (other.key) and a late one are refused with AWS's codes and messages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from harness import ACCOUNT, Runner, eq, ok
from pulumi_programs import client

TESTDATA = Path(__file__).resolve().parents[2] / "crates" / "server" / "src" / "iam" / "testdata"
ISSUER = "https://idp.example.com/saml"
SIGN_IN = "https://signin.aws.amazon.com/saml"
PROVIDER = "E2eIdP"
ROLE = "e2e-saml-role"
# base64(sha1(ISSUER + ACCOUNT + "/" + PROVIDER)) (STS API reference, AssumeRoleWithSAML).
NAME_QUALIFIER = base64.b64encode(hashlib.sha1(f"{ISSUER}{ACCOUNT}/{PROVIDER}".encode()).digest()).decode()


def provider_arn() -> str:
    return f"arn:aws:iam::{ACCOUNT}:saml-provider/{PROVIDER}"


def role_arn() -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"


def metadata() -> str:
    cert = "".join(l for l in (TESTDATA / "server.crt").read_text().splitlines() if not l.startswith("-----"))
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'entityID="{ISSUER}"><md:IDPSSODescriptor '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing">'
        '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>'
        f"{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def private_key(name: str):
    """The RSA key of testdata/NAME (PKCS#1, or PKCS#8 unwrapped with pyasn1)."""
    import rsa
    from pyasn1.codec.der import decoder

    pem = (TESTDATA / name).read_text()
    der = base64.b64decode("".join(l for l in pem.splitlines() if not l.startswith("-----")))
    if "BEGIN RSA PRIVATE KEY" not in pem:
        info, _ = decoder.decode(der)  # PrivateKeyInfo: version, algorithm, privateKey
        der = bytes(info[2])
    return rsa.PrivateKey.load_pkcs1(der, "DER")


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def response(session: str, *, key: str = "server.key", issued: float | None = None, subject: str = "alice") -> str:
    """A base64 SAML response for ROLE with RoleSessionName `session`."""
    import rsa

    now = time.time() if issued is None else issued
    start, end = iso(now), iso(now + 300)
    head = (
        '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" '
        f'IssueInstant="{start}" Version="2.0"><saml:Issuer>{ISSUER}</saml:Issuer>'
    )
    tail = (
        '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">'
        f"{subject}</saml:NameID>"
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{end}" Recipient="{SIGN_IN}">'
        "</saml:SubjectConfirmationData></saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{start}" NotOnOrAfter="{end}"><saml:AudienceRestriction>'
        "<saml:Audience>urn:amazon:webservices</saml:Audience></saml:AudienceRestriction></saml:Conditions>"
        "<saml:AttributeStatement>"
        '<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">'
        f"<saml:AttributeValue>{role_arn()},{provider_arn()}</saml:AttributeValue></saml:Attribute>"
        '<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">'
        f"<saml:AttributeValue>{session}</saml:AttributeValue></saml:Attribute>"
        "</saml:AttributeStatement></saml:Assertion>"
    )
    digest = base64.b64encode(hashlib.sha256((head + tail).encode()).digest()).decode()
    signed_info = (
        '<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"></ds:CanonicalizationMethod>'
        '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"></ds:SignatureMethod>'
        '<ds:Reference URI="#_a1"><ds:Transforms>'
        '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"></ds:Transform>'
        '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"></ds:Transform></ds:Transforms>'
        '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"></ds:DigestMethod>'
        f"<ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"
    )
    value = base64.b64encode(rsa.sign(signed_info.encode(), private_key(key), "SHA-256")).decode()
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" '
        f'IssueInstant="{start}" Version="2.0">\n'
        '  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>\n'
        f'  {head}<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">{signed_info}'
        f"<ds:SignatureValue>{value}</ds:SignatureValue></ds:Signature>{tail}\n"
        "</samlp:Response>\n"
    )
    return base64.b64encode(xml.encode()).decode()


def tampered(encoded: str) -> str:
    xml = base64.b64decode(encoded).decode()
    changed = xml.replace(">alice</saml:NameID>", ">admin</saml:NameID>")
    ok(changed != xml, "the subject to tamper with is in the response")
    return base64.b64encode(changed.encode()).decode()


def saml(r: Runner) -> None:
    r.section("STS: AssumeRoleWithSAML (aws CLI and boto3)")
    iam = client(r)

    def setup():
        iam.create_saml_provider(Name=PROVIDER, SAMLMetadataDocument=metadata())
        trust = {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn()},
                "Action": "sts:AssumeRoleWithSAML",
                "Condition": {"StringEquals": {"saml:aud": SIGN_IN, "saml:sub_type": "transient"}},
            }],
        }
        iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))

    r.check("a SAML provider with the test certificate, a role that trusts it", setup)

    def assumed(out):
        eq(out["AssumedRoleUser"]["Arn"], f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/alice-cli", "AssumedRoleUser.Arn")
        eq(out["Subject"], "alice", "Subject")
        eq(out["SubjectType"], "transient", "SubjectType")
        eq(out["Issuer"], ISSUER, "Issuer")
        eq(out["Audience"], SIGN_IN, "Audience")
        eq(out["NameQualifier"], NAME_QUALIFIER, "NameQualifier")
        ok(out["Credentials"]["AccessKeyId"].startswith("ASIA"), "an ASIA access key")

    run = r.cli(
        f"aws sts assume-role-with-saml --role-arn {role_arn()} --principal-arn {provider_arn()} "
        f"--saml-assertion {response('alice-cli')}",
        label="aws sts assume-role-with-saml with a signed response",
        check=assumed,
    )
    if run and run.out:
        c = run.out["Credentials"]
        env = r.env((c["AccessKeyId"], c["SecretAccessKey"]))
        env["AWS_SESSION_TOKEN"] = c["SessionToken"]
        r.cli(
            "aws sts get-caller-identity",
            label="aws sts get-caller-identity with the SAML session",
            env=env,
            check=lambda out: eq(out["Arn"], f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/alice-cli", "Arn"),
        )

    def message(expected: str):
        return lambda got: eq(got, expected, "message")

    r.cli(
        f"aws sts assume-role-with-saml --role-arn {role_arn()} --principal-arn {provider_arn()} "
        f"--saml-assertion {tampered(response('alice-cli'))}",
        label="a tampered response is refused",
        expect_error="InvalidIdentityToken",
        check=message("Response signature invalid"),
    )
    r.cli(
        f"aws sts assume-role-with-saml --role-arn {role_arn()} --principal-arn {provider_arn()} "
        f"--saml-assertion {response('alice-cli', key='other.key')}",
        label="a response signed with a key the metadata does not list is refused",
        expect_error="InvalidIdentityToken",
        check=message("Response signature invalid"),
    )

    def boto3_late():
        from botocore.exceptions import ClientError

        sts = client(r, "sts")
        try:
            sts.assume_role_with_saml(
                RoleArn=role_arn(),
                PrincipalArn=provider_arn(),
                SAMLAssertion=response("alice-late", issued=time.time() - 600),
            )
        except ClientError as e:
            eq(e.response["Error"]["Code"], "ExpiredTokenException", "Error.Code")
            eq(e.response["Error"]["Message"], "Token must be redeemed within 5 minutes of issuance", "Error.Message")
            return
        raise AssertionError("a response issued ten minutes ago was accepted")

    r.check("boto3: a response issued ten minutes ago is refused", boto3_late)

    def boto3_ok():
        out = client(r, "sts").assume_role_with_saml(
            RoleArn=role_arn(), PrincipalArn=provider_arn(), SAMLAssertion=response("alice-boto3")
        )
        eq(out["AssumedRoleUser"]["Arn"], f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/alice-boto3", "Arn")

    r.check("boto3: assume_role_with_saml", boto3_ok)


def run_all(r: Runner) -> None:
    try:
        saml(r)
    except Exception as e:  # noqa: BLE001 - a broken part is a failure, not a crash
        r._record(f"saml stopped: {e!r}", "boto3", "FAIL", detail=traceback.format_exc(limit=4))
