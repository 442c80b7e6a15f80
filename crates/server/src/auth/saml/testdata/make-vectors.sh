#!/bin/sh
# Makes the signed SAML responses of this directory with xmlsec1 (Debian package xmlsec1,
# built on libxml2's canonicalization), an implementation independent of Portcullis's, so
# that the verifier's tests check it against someone else's canonical form and signature.
# Keys: ../../../iam/testdata/server.key (its certificate is server.crt there).
#
#   sh make-vectors.sh    # writes signed-*.xml from template-*.xml
#
# Run once; the outputs are committed. The templates carry every construct whose canonical
# form is easy to get wrong: namespaces declared on an ancestor and used in the signed
# element, unused and default namespaces, an InclusiveNamespaces PrefixList, attributes in
# several namespaces (xml:lang included) out of order, characters that canonicalization
# escapes (tab, line feed and carriage return as references, &, <, >, quotes), CDATA,
# comments, empty elements, and the signature with a default namespace.
set -eu
cd "$(dirname "$0")"
key=../../../iam/testdata/server.key
ids="--id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response"
# Both signed: the assertion first, then the response around it.
xmlsec1 --sign $ids --privkey-pem "$key" \
    --node-xpath "//*[local-name()='Assertion']/*[local-name()='Signature']" \
    --output /tmp/portcullis-saml-inner.xml template-both.xml
xmlsec1 --sign $ids --privkey-pem "$key" \
    --node-xpath "/*[local-name()='Response']/*[local-name()='Signature']" \
    --output signed-both.xml /tmp/portcullis-saml-inner.xml
rm /tmp/portcullis-saml-inner.xml
# Only the assertion, RSA-SHA1 with a SHA-1 digest.
xmlsec1 --sign $ids --privkey-pem "$key" --output signed-assertion-sha1.xml \
    template-assertion-sha1.xml
for node in "/*/*[local-name()='Signature']" "//*[local-name()='Assertion']/*[local-name()='Signature']"; do
    xmlsec1 --verify $ids --pubkey-cert-pem ../../../iam/testdata/server.crt \
        --node-xpath "$node" signed-both.xml
done
xmlsec1 --verify $ids --pubkey-cert-pem ../../../iam/testdata/server.crt signed-assertion-sha1.xml
