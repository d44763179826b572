"""The first system administrator of a deployed stack, and ID tokens for operators.

Staff cannot sign themselves up and no front end exists yet, so an operator with AWS
credentials for the stack's account bootstraps the first sysadmin here:

1. identity's `bootstrap` job (IdentityTasksFunction) records the organisation and the
   user and starts the provisioning saga, the same path as every user takes (identity
   owns its table; the staff authorizer admits only users it knows as active);
2. once the saga has made the Cognito account (with the `sysadmin` group), the script
   sets the operator's password as permanent and signs in through the stack's
   `OperatorClient`, the only app client that allows ADMIN_USER_PASSWORD_AUTH: that flow
   needs IAM credentials (cognito-idp:AdminInitiateAuth), so it opens no door to the public;
3. it waits until `GET /me` admits the token (the profile is active) and prints it.

    python -m infrastructure.scripts.sysadmin create --stack-name records-prod \\
        --org-id national-archive --org-name "National Archive" \\
        --username ops-alice --email alice@example.org --display-name "Alice Operator"
    TOKEN=$(python -m infrastructure.scripts.sysadmin token --stack-name records-prod --username ops-alice)

The password comes from $SYSADMIN_PASSWORD or is asked for (twice for `create`). Only the
ID token goes to stdout, so `$(...)` captures it; everything else goes to stderr. Running
`create` again is harmless (the job creates only what is missing) and resets the password.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from typing import Any, Callable
import urllib.error
import urllib.request

import boto3
from botocore.exceptions import ClientError

SYSADMIN_GROUP = "sysadmin"
PASSWORD_ENV = "SYSADMIN_PASSWORD"
OUTPUTS = ("ApiUrl", "UserPoolId", "OperatorClientId", "IdentityTasksFunctionName")
WAIT_SECONDS = 180.0  # the provisioning saga takes seconds; a cold stack a little more


class OperatorError(Exception):
    """Something the operator must fix (a missing output, a failed job, a refused sign-in)."""


def stack_outputs(stack_name: str, cloudformation: Any = None) -> dict[str, str]:
    cloudformation = cloudformation or boto3.client("cloudformation")
    try:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as exc:
        raise OperatorError(f"stack {stack_name!r}: {exc.response['Error'].get('Message', exc)}") from exc
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    missing = [key for key in OUTPUTS if key not in outputs]
    if missing:
        raise OperatorError(f"the stack has no output {', '.join(missing)}: deploy the current template.yaml")
    return outputs


def bootstrap(invoke: Callable[[dict[str, Any]], dict[str, Any]], *, org: dict[str, str],
              user: dict[str, str]) -> dict[str, Any]:
    """Run identity's bootstrap job for one organisation and its sysadmin (also an admin of it)."""
    return invoke({"job": "bootstrap", "organisations": [org],
                   "users": [{**user, "org_id": org["id"], "roles": ["admin", SYSADMIN_GROUP]}]})


def lambda_invoker(function_name: str, client: Any = None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    client = client or boto3.client("lambda")

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        answer = client.invoke(FunctionName=function_name, Payload=json.dumps(event).encode())
        result = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            raise OperatorError(f"{function_name} failed: {result}")
        return result

    return invoke


def wait_for(probe: Callable[[], Any], what: str, *, timeout: float = WAIT_SECONDS, every: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise OperatorError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def account_ready(cognito: Any, pool_id: str, username: str) -> bool:
    """The saga has created the account and put it in the sysadmin group."""
    try:
        groups = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username=username)["Groups"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "UserNotFoundException":
            return False
        raise
    return any(g["GroupName"] == SYSADMIN_GROUP for g in groups)


def set_password(cognito: Any, pool_id: str, username: str, password: str) -> None:
    """Permanent, so the first sign-in needs no new-password challenge (no front end exists for it)."""
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)


def id_token(cognito: Any, pool_id: str, client_id: str, *, username: str, password: str) -> str:
    try:
        result = cognito.admin_initiate_auth(
            UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password})
    except ClientError as exc:
        raise OperatorError(f"sign-in refused: {exc.response['Error'].get('Message', exc)}") from exc
    if "AuthenticationResult" not in result:  # e.g. NEW_PASSWORD_REQUIRED: rerun `create` to set one
        raise OperatorError(f"sign-in needs a {result.get('ChallengeName')} step; rerun `create` to set a password")
    return result["AuthenticationResult"]["IdToken"]


def admitted(api_url: str, token: str) -> bool:
    """GET /me answers 200: the authorizer knows the user as active."""
    request = urllib.request.Request(f"{api_url.rstrip('/')}/me", headers={"Authorization": token})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status == 200
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            return False
        raise


def _password(confirm: bool) -> str:
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    password = getpass.getpass("Password (12+ characters, upper, lower, digit): ")
    if confirm and getpass.getpass("Again: ") != password:
        raise OperatorError("the passwords differ")
    return password


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infrastructure.scripts.sysadmin",
                                     description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="bootstrap the first sysadmin and print an ID token")
    token = commands.add_parser("token", help="print an ID token for an existing user")
    for command in (create, token):
        command.add_argument("--stack-name", required=True)
        command.add_argument("--username", required=True, help="the user id, also the Cognito username")
    create.add_argument("--email", required=True)
    create.add_argument("--display-name", required=True)
    create.add_argument("--org-id", required=True, help="the operator's organisation (a slug), created if missing")
    create.add_argument("--org-name", required=True)
    create.add_argument("--org-type", default="permanent_archive",
                        help="permanent_archive (default), records_centre or agency")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        outputs = stack_outputs(args.stack_name)
        pool_id, client_id = outputs["UserPoolId"], outputs["OperatorClientId"]
        cognito = boto3.client("cognito-idp")
        password = _password(confirm=args.command == "create")
        if args.command == "create":
            created = bootstrap(lambda_invoker(outputs["IdentityTasksFunctionName"]),
                                org={"id": args.org_id, "name": args.org_name, "type": args.org_type},
                                user={"id": args.username, "email": args.email, "display_name": args.display_name})
            print(f"bootstrap: {created}", file=sys.stderr)
            wait_for(lambda: account_ready(cognito, pool_id, args.username), "the account (provisioning saga)")
            set_password(cognito, pool_id, args.username, password)
        token = id_token(cognito, pool_id, client_id, username=args.username, password=password)
        if args.command == "create":
            wait_for(lambda: admitted(outputs["ApiUrl"], token), "GET /me to admit the token (an active profile)")
            print(f"{args.username} is a sysadmin of {pool_id}", file=sys.stderr)
        print(token)
    except (OperatorError, ClientError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
