"""Tokens: issued by the emulated Cognito pool, checked as API Gateway's authorizer does.

Issuing goes through the pool itself (create or update the user, set a permanent
password, ADMIN_USER_PASSWORD_AUTH), so a local token is an ordinary Cognito ID
token carrying `custom:org_id` and `cognito:groups`. Checking is the Cognito
authorizer's: RS256 signature against the pool's JWKS, expiry, issuer, audience (an
app client of the pool) and token_use "id"; claims reach the function as strings.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any
import urllib.request

import jwt
from botocore.exceptions import ClientError

from .aws import client
from .template import REGION

ROLES = ("admin", "archivist", "stack_manager", "requester", "auditor", "sysadmin")
LOCAL_PASSWORD = "Local-only-Passw0rd"  # satisfies the template's password policy; never used outside


class TokenRefused(Exception):
    """The pool would not sign this user in (e.g. the account is disabled)."""


def issuer(pool_id: str) -> str:
    return f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"


class TokenIssuer:
    def __init__(self, pool_id: str, client_id: str) -> None:
        self.pool_id = pool_id
        self.client_id = client_id
        self._lock = threading.Lock()  # one user's create-or-update must not interleave with another's

    def issue(self, user_id: str, email: str, org_id: str | None, roles: list[str]) -> dict[str, Any]:
        cognito = client("cognito-idp")
        attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        if org_id:
            attributes.append({"Name": "custom:org_id", "Value": org_id})
        with self._lock:
            try:
                cognito.admin_create_user(UserPoolId=self.pool_id, Username=user_id, UserAttributes=attributes,
                                          MessageAction="SUPPRESS")
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "UsernameExistsException":
                    raise
                cognito.admin_update_user_attributes(UserPoolId=self.pool_id, Username=user_id,
                                                     UserAttributes=attributes)
            cognito.admin_set_user_password(UserPoolId=self.pool_id, Username=user_id, Password=LOCAL_PASSWORD,
                                            Permanent=True)
            current = {g["GroupName"] for g in cognito.admin_list_groups_for_user(
                UserPoolId=self.pool_id, Username=user_id)["Groups"]}
            for group in sorted(set(roles) - current):
                cognito.admin_add_user_to_group(UserPoolId=self.pool_id, Username=user_id, GroupName=group)
            for group in sorted(current - set(roles)):
                cognito.admin_remove_user_from_group(UserPoolId=self.pool_id, Username=user_id, GroupName=group)
        try:
            auth = cognito.admin_initiate_auth(
                UserPoolId=self.pool_id, ClientId=self.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": user_id, "PASSWORD": LOCAL_PASSWORD})["AuthenticationResult"]
        except ClientError as exc:
            raise TokenRefused(exc.response["Error"].get("Message") or exc.response["Error"]["Code"]) from exc
        return {"token": auth["IdToken"], "expires_in": auth["ExpiresIn"], "user_id": user_id, "org_id": org_id,
                "roles": sorted(roles)}


class TokenVerifier:
    """One Cognito authorizer: a pool's keys, issuer and app clients."""

    def __init__(self, jwks_url: str, pool_id: str, client_ids: list[str]) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer(pool_id)
        self.client_ids = client_ids
        self._keys: dict[str, Any] = {}
        self._lock = threading.Lock()

    def claims(self, header_value: str | None) -> dict[str, str] | None:
        """The claims as API Gateway passes them, or None for any token it would refuse."""
        if not header_value:
            return None
        token = (header_value[7:] if header_value[:7].lower() == "bearer " else header_value).strip()
        try:
            key = self._key(jwt.get_unverified_header(token).get("kid"))
            if key is None:
                return None
            claims = jwt.decode(token, key=key, algorithms=["RS256"], audience=self.client_ids,
                                issuer=self.issuer, options={"require": ["exp", "iss", "aud", "token_use"]})
        except jwt.PyJWTError:
            return None
        return gateway_claims(claims) if claims.get("token_use") == "id" else None

    def _key(self, kid: str | None) -> Any:
        with self._lock:
            if kid not in self._keys:  # first use, or the pool rotated its keys
                self._keys = {k.key_id: k.key for k in jwt.PyJWKSet.from_dict(self._jwks()).keys}
            return self._keys.get(kid)

    def _jwks(self) -> dict[str, Any]:
        # moto routes this URL to Cognito only when the request is signed for cognito-idp.
        request = urllib.request.Request(self.jwks_url, headers={
            "Authorization": f"AWS4-HMAC-SHA256 Credential=local/20240101/{REGION}/cognito-idp/aws4_request, "
                             "SignedHeaders=host, Signature=local"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)


def gateway_claims(claims: dict[str, Any]) -> dict[str, str]:
    """REST API Gateway hands claims over as strings: lists comma-joined, exp/iat as dates."""
    out = {}
    for name, value in claims.items():
        if name in ("exp", "iat"):
            out[name] = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(value))
        elif isinstance(value, (list, tuple)):
            out[name] = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = str(value)
    return out
