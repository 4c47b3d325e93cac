"""Verifies an iam-service access token with PyJWT (a non-JS verifier, SPEC section 6).

Usage: verify_pyjwt.py JWKS_URL ISSUER AUDIENCE TOKEN
Prints one JSON object: the verified header and claims, or {"error": ...}.
"""
import json
import sys

import jwt


def main() -> int:
    jwks_url, issuer, audience, token = sys.argv[1:5]
    header = jwt.get_unverified_header(token)
    if header.get("typ") != "at+jwt" or header.get("alg") != "ES256":
        print(json.dumps({"error": "bad header", "header": header}))
        return 1
    # PyJWKClient keeps only keys with use "sig"; the alg filter is ours, as SPEC section 3 asks of verifiers.
    keys = [k for k in jwt.PyJWKClient(jwks_url).get_signing_keys() if k._jwk_data.get("alg") == "ES256"]
    key = next((k for k in keys if k.key_id == header.get("kid")), None)
    if key is None:
        print(json.dumps({"error": "kid not in the JWKS", "kid": header.get("kid")}))
        return 1
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["ES256"],
        audience=audience,
        issuer=issuer,
        options={"require": ["exp", "iat", "nbf", "iss", "sub", "aud", "jti"]},
    )
    print(json.dumps({"header": header, "claims": claims}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
