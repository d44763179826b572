"""The first system administrator of a deployed stack, and ID tokens for operators.

Staff cannot sign themselves up and no front end exists yet, so an operator with AWS
credentials for the stack's account creates the first sysadmin here and gets an ID token
for calling the API. Sign-in goes through the stack's `OperatorClient`, the only app client
that allows ADMIN_USER_PASSWORD_AUTH: that flow needs IAM credentials
(cognito-idp:AdminInitiateAuth), so no one without them can use it.

    python -m infrastructure.scripts.sysadmin create --stack-name records-prod \\
        --username ops-alice --email alice@example.org [--org-id national-archive]
    TOKEN=$(python -m infrastructure.scripts.sysadmin token --stack-name records-prod --username ops-alice)

The password comes from $SYSADMIN_PASSWORD or is asked for (twice for `create`). Only the
ID token goes to stdout, so `$(...)` captures it; everything else goes to stderr.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

import boto3
from botocore.exceptions import ClientError

SYSADMIN_GROUP = "sysadmin"
PASSWORD_ENV = "SYSADMIN_PASSWORD"


class OperatorError(Exception):
    """Something the operator must fix (a missing output, a refused sign-in)."""


def stack_outputs(stack_name: str, cloudformation: Any = None) -> dict[str, str]:
    cloudformation = cloudformation or boto3.client("cloudformation")
    try:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as exc:
        raise OperatorError(f"stack {stack_name!r}: {exc.response['Error'].get('Message', exc)}") from exc
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def pool_and_client(outputs: dict[str, str]) -> tuple[str, str]:
    missing = [key for key in ("UserPoolId", "OperatorClientId") if key not in outputs]
    if missing:
        raise OperatorError(f"the stack has no output {', '.join(missing)}: deploy the current template.yaml")
    return outputs["UserPoolId"], outputs["OperatorClientId"]


def create_sysadmin(cognito: Any, pool_id: str, *, username: str, email: str, password: str,
                    org_id: str | None = None) -> None:
    """Create (or update) the user with a permanent password, in the sysadmin group. Safe to rerun."""
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    if org_id:
        attributes.append({"Name": "custom:org_id", "Value": org_id})
    try:
        cognito.admin_create_user(UserPoolId=pool_id, Username=username, UserAttributes=attributes,
                                  MessageAction="SUPPRESS")  # the operator holds the password, no e-mail
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "UsernameExistsException":
            raise
        cognito.admin_update_user_attributes(UserPoolId=pool_id, Username=username, UserAttributes=attributes)
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=SYSADMIN_GROUP)


def id_token(cognito: Any, pool_id: str, client_id: str, *, username: str, password: str) -> str:
    try:
        result = cognito.admin_initiate_auth(
            UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password})
    except ClientError as exc:
        raise OperatorError(f"sign-in refused: {exc.response['Error'].get('Message', exc)}") from exc
    if "AuthenticationResult" not in result:  # e.g. NEW_PASSWORD_REQUIRED for a user made elsewhere
        raise OperatorError(f"sign-in needs a {result.get('ChallengeName')} step; rerun `create` to set a password")
    return result["AuthenticationResult"]["IdToken"]


def _password(confirm: bool) -> str:
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    password = getpass.getpass("Password (12+ characters, upper, lower, digit): ")
    if confirm and getpass.getpass("Again: ") != password:
        raise OperatorError("the passwords differ")
    return password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infrastructure.scripts.sysadmin",
                                     description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("create", "create the first sysadmin (or reset one) and print an ID token"),
                            ("token", "print an ID token for an existing user")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--stack-name", required=True)
        command.add_argument("--username", required=True)
        if name == "create":
            command.add_argument("--email", required=True)
            command.add_argument("--org-id", help="the operator's organisation (optional for a sysadmin)")
    args = parser.parse_args(argv)
    try:
        pool_id, client_id = pool_and_client(stack_outputs(args.stack_name))
        cognito = boto3.client("cognito-idp")
        password = _password(confirm=args.command == "create")
        if args.command == "create":
            create_sysadmin(cognito, pool_id, username=args.username, email=args.email, password=password,
                            org_id=args.org_id)
            print(f"{args.username} is a sysadmin of {pool_id}", file=sys.stderr)
        print(id_token(cognito, pool_id, client_id, username=args.username, password=password))
    except (OperatorError, ClientError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
