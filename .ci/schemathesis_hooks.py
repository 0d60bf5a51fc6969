"""Schemathesis hooks for .ci/schemathesis: one bearer token per role, chosen
per test case, and path ids steered towards real records of the demo data.

The tokens come from GF_TOKENS (JSON: role -> token), the logout account from
GF_LOGOUT_PHONE / GF_PASSWORD, the base URL from GF_BASE, real ids from GF_IDS
(JSON: path parameter name -> list of ids that exist in the demo data).
"""

import json
import os
import random
import zlib

import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.generation.meta import TestPhase

TOKENS = json.loads(os.environ["GF_TOKENS"])
IDS = json.loads(os.environ.get("GF_IDS", "{}"))
BASE = os.environ["GF_BASE"]
STAFF = ["manager", "streamer", "fulfilment", "leader"]


def weighted(rng, main, weight):
    """`main` most of the time, now and then any other principal."""
    others = [r for r in TOKENS if r != main]
    return rng.choice(others) if rng.random() > weight else main


def stateful_role(method, path):
    """The stateful phase chains calls through links (create, then read what was
    created), so a chain keeps one principal: a foreign token half-way would get
    the 404 that hides someone else's record, which schemathesis reports as a
    created resource not found (ST302)."""
    if path.startswith("/api/v1/workshops/{workshop_id}"):
        return "manager"
    if path == "/api/v1/workshops" and method == "POST":
        return "admin"
    return "customer"


def role_for(rng, method, path):
    if path.startswith("/api/v1/workshops/{workshop_id}"):
        main = "manager" if rng.random() < 0.7 else rng.choice(STAFF)
        return weighted(rng, main, 0.9)
    if path == "/api/v1/workshops" and method == "POST":
        return weighted(rng, "admin", 0.8)
    return weighted(rng, "customer", 0.85)


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
        elif case.meta is not None and case.meta.phase.name == TestPhase.STATEFUL:
            token = data[stateful_role(method, path)]
        else:
            # Seeded by the case, so a failure replays with the same role.
            rng = random.Random(zlib.crc32(repr((case.id, method, path)).encode()))
            token = data[role_for(rng, method, path)]
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {token}"


@schemathesis.hook
def flatmap_path_parameters(ctx, path_parameters):
    """Often real ids (deeper code paths), otherwise whatever was generated."""
    if not path_parameters:
        return st.just(path_parameters)
    choices = {}
    for name, value in path_parameters.items():
        real = IDS.get(name)
        if real and isinstance(value, int):
            choices[name] = st.one_of(st.sampled_from(real), st.just(value))
        else:
            choices[name] = st.just(value)
    return st.fixed_dictionaries(choices)
