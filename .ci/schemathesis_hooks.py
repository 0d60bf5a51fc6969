"""Schemathesis hooks for .ci/schemathesis: one bearer token per role, chosen
per test case, and path ids steered towards real records of the demo data.

The tokens come from GF_TOKENS (JSON: role -> token), the logout account from
GF_LOGOUT_PHONE / GF_PASSWORD, the base URL from GF_BASE, real ids from GF_IDS
(JSON: path parameter name -> list of ids that exist in the demo data).
"""

import json
import os
import random

import requests
import schemathesis

TOKENS = json.loads(os.environ["GF_TOKENS"])
IDS = json.loads(os.environ.get("GF_IDS", "{}"))
BASE = os.environ["GF_BASE"]
STAFF = ["manager", "streamer", "fulfilment", "leader"]


def weighted(main, weight):
    """`main` most of the time, now and then any other principal."""
    others = [r for r in TOKENS if r != main]
    return random.choice(others) if random.random() > weight else main


def role_for(method, path):
    if path.startswith("/api/v1/workshops/{workshop_id}"):
        main = "manager" if random.random() < 0.7 else random.choice(STAFF)
        return weighted(main, 0.9)
    if path == "/api/v1/workshops" and method == "POST":
        return weighted("admin", 0.8)
    return weighted("customer", 0.85)


def fresh_logout_token():
    """Logging out revokes the token, so every logout case gets its own."""
    res = requests.post(
        f"{BASE}/api/v1/auth/login",
        json={"phone": os.environ["GF_LOGOUT_PHONE"], "password": os.environ["GF_PASSWORD"]},
        timeout=30,
    )
    res.raise_for_status()
    return res.json()["token"]


@schemathesis.auth(refresh_interval=None)
class RoleTokens:
    def get(self, case, ctx):
        return TOKENS

    def set(self, case, data, ctx):
        path, method = case.operation.path, case.method.upper()
        if path == "/api/v1/auth/logout":
            token = fresh_logout_token()
        else:
            token = data[role_for(method, path)]
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {token}"


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    """Mostly real ids (deeper code paths), sometimes whatever was generated."""
    if not path_parameters:
        return path_parameters
    for name, value in list(path_parameters.items()):
        real = IDS.get(name)
        if real and isinstance(value, int) and random.random() < 0.8:
            path_parameters[name] = random.choice(real)
    return path_parameters
