"""Checking a Cognito ID token as API Gateway's Cognito authorizer would.

RS256 signature against the user pool's published keys (fetched once per execution
environment, again when an unknown key id appears: the pool rotated), expiry, issuer,
audience (one of the pool's app clients) and `token_use: id`.

The keys live at the issuer's `/.well-known/jwks.json`. With `AWS_ENDPOINT_URL` set (the
local system's emulator) they are fetched from there instead; the emulator routes that
path to its Cognito only for requests signed for cognito-idp.
"""
from __future__ import annotations

import json
import os
import threading
from typing import Any
import urllib.request

import jwt

_keys: dict[str, Any] = {}
_lock = threading.Lock()


class InvalidToken(Exception):
    pass


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def issuer() -> str:
    return f"https://cognito-idp.{_region()}.amazonaws.com/{os.environ['USER_POOL_ID']}"


def _fetch_jwks() -> dict[str, Any]:
    endpoint = os.environ.get("AWS_ENDPOINT_URL_COGNITO_IDP") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        url = f"{endpoint.rstrip('/')}/{os.environ['USER_POOL_ID']}/.well-known/jwks.json"
        request = urllib.request.Request(url, headers={
            "Authorization": f"AWS4-HMAC-SHA256 Credential=local/20240101/{_region()}/cognito-idp/aws4_request, "
                             "SignedHeaders=host, Signature=local"})
    else:
        request = urllib.request.Request(issuer() + "/.well-known/jwks.json")
    with urllib.request.urlopen(request, timeout=3) as response:
        return json.load(response)


def _key(kid: str | None, fetch=_fetch_jwks) -> Any:
    with _lock:
        if kid not in _keys:
            _keys.clear()
            _keys.update({k.key_id: k.key for k in jwt.PyJWKSet.from_dict(fetch()).keys})
        return _keys.get(kid)


def claims(header_value: str | None, fetch=_fetch_jwks) -> dict[str, Any]:
    """The verified claims of a `Bearer <ID token>` (or bare token) header value."""
    if not header_value:
        raise InvalidToken("no token")
    token = (header_value[7:] if header_value[:7].lower() == "bearer " else header_value).strip()
    audiences = [c for c in os.environ.get("USER_POOL_CLIENT_IDS", "").split(",") if c]
    try:
        key = _key(jwt.get_unverified_header(token).get("kid"), fetch)
        if key is None:
            raise InvalidToken("signed with an unknown key")
        verified = jwt.decode(token, key=key, algorithms=["RS256"], audience=audiences, issuer=issuer(),
                              options={"require": ["exp", "iss", "aud", "token_use"]})
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    if verified.get("token_use") != "id":
        raise InvalidToken("not an ID token")
    return verified
