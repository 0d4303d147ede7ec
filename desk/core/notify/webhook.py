"""POSTing an alert to the analyst's webhook: signed, retried a few times with a short back-off.

The body is the alert's JSON; `X-Desk-Signature: sha256=<hex>` is the
HMAC-SHA256 of the body with the shared secret, and `X-Desk-Delivery`
names the delivery, the same on every try of one alert: a POST desk could
not see answered (it timed out, or desk was killed mid-request) is sent
again under the same id, so a receiver that keeps the ids it has taken
gets each alert once. A POST unanswered after its timeout is given up,
however slowly the endpoint trickles its answer (the request runs on a
worker thread left to end on its own). The transport is injected.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable

import httpx

from desk.core.errors import plural
from desk.core.notify.outbox import MESSAGE_CHARS, retry_delay
from desk.core.safetext import safe_line


def signature(secret: str, body: bytes) -> str:
    """The X-Desk-Signature value: `sha256=` and the hex HMAC-SHA256 of `body`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def headers_for(
    body: bytes, secret: str, delivery: str, alert_id: str, user_agent: str
) -> dict[str, str]:
    """The headers of one POST: JSON, the signature when there is a secret, the delivery id."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": user_agent,
        "X-Desk-Delivery": delivery,
        "X-Desk-Alert": alert_id,
    }
    if secret:
        headers["X-Desk-Signature"] = signature(secret, body)
    return headers


def post_with_retries(
    client: httpx.Client,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    fits: Callable[[float], bool] = lambda _: True,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """POST until a 2xx answer or the tries run out; "" on success, else the last failure.

    Each try is given up after `timeout` seconds; a retry is made only when
    `fits(back-off + timeout)` says the round has time for it.
    """
    tries = 0
    while True:
        tries += 1
        problem = post_within(client, url, body, headers, timeout)
        if not problem:
            return ""
        delay = retry_delay(tries)
        if delay is None or not fits(delay + timeout):
            return f"{problem} (tried {plural(tries, 'time')})"
        sleep(delay)


def post_within(
    client: httpx.Client, url: str, body: bytes, headers: dict[str, str], timeout: float
) -> str:
    """post_once, given up after `timeout` seconds whatever the endpoint does.

    httpx's timeout bounds each wait on the network, not a whole request: an
    endpoint answering a byte at a time could hold it for ever. The POST runs
    on a daemon thread; one not done in time is left to end on its own (its
    client is closed with the round) and counts as unanswered.
    """
    outcome: list[str] = []

    def attempt() -> None:
        try:
            outcome.append(post_once(client, url, body, headers))
        except Exception:  # the round closed the client under a POST it gave up: said already
            outcome.append("the POST was given up")

    worker = threading.Thread(target=attempt, name="desk-webhook-post", daemon=True)
    worker.start()
    worker.join(timeout)
    return outcome[0] if outcome else f"no answer within {timeout:g} s"


def post_once(client: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> str:
    """One POST; "" for a 2xx answer, else what went wrong in one line."""
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return safe_line(f"{type(exc).__name__}: {exc}")[:MESSAGE_CHARS]
    if 200 <= response.status_code < 300:
        return ""
    return f"HTTP {response.status_code}"
