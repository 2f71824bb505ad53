"""The AGS 2.0 client: an OAuth 2 access token got with a signed JWT assertion (RFC 7523, 1EdTech
Security Framework 4.1), reused until it expires; the assignment's line item found (by resourceId)
or created, once; a score posted to it.

Every failure is a `PlatformError`: `transient` (unreachable, 5xx, 429, a refused token: try again
later, after `retry_after` seconds if the platform said so) or not (the platform refused this score
with a 4xx: `reason` says why, in the platform's words, bounded).
"""
from __future__ import annotations

import email.utils
import re
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests

from .keys import ToolKey
from .settings import Registration

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
REASON_LIMIT = 300


class PlatformError(Exception):
    def __init__(self, reason: str, transient: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason, self.transient, self.retry_after = reason, transient, retry_after


@dataclass(frozen=True)
class Score:
    user_id: str            # the platform's id of the student (the launch's sub)
    score_given: float
    score_maximum: float
    timestamp: str          # ISO 8601, the graded submission's time
    comment: str

    def body(self) -> dict:
        return {"userId": self.user_id, "scoreGiven": self.score_given, "scoreMaximum": self.score_maximum,
                "comment": self.comment, "timestamp": self.timestamp,
                "activityProgress": "Completed", "gradingProgress": "FullyGraded"}


def retry_after(response: requests.Response) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), if the platform sent it."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _reason(response: requests.Response) -> str:
    """The platform's words for a refusal: its JSON error or its text, on one bounded line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        nested = body.get("errors") if isinstance(body.get("errors"), dict) else {}   # Canvas: {"errors": {"message"}}
        text = next((str(v) for v in (body.get("error_description"), body.get("reason"), nested.get("message"),
                                      body.get("message"), body.get("error")) if v), str(body))
    else:
        text = response.text if body is None else str(body)
    text = re.sub(r"\s+", " ", re.sub(r"[\x00-\x1f\x7f]", " ", str(text))).strip()
    return f"HTTP {response.status_code}" + (f": {text[:REASON_LIMIT]}" if text else "")


def scores_url(lineitem_url: str) -> str:
    """AGS: the scores service is the line item's URL with /scores added to its path."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


class AgsClient:
    """One platform's AGS, for one thread at a time."""

    def __init__(self, reg: Registration, key: ToolKey):
        reg.require("client_id", "access_token_url")
        self.reg, self.key = reg, key
        self.session = requests.Session()
        self._token: tuple[str, float] | None = None      # (access token, monotonic time it expires)

    def close(self) -> None:
        self.session.close()

    def _request(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            response = self.session.request(method, url, timeout=self.reg.http_timeout_seconds, **kwargs)
        except requests.RequestException as exc:
            raise PlatformError(f"{urlsplit(url).netloc} unreachable ({type(exc).__name__})", True) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise PlatformError(_reason(response), True, retry_after(response))
        return response

    # -- the access token ---------------------------------------------------------------------------

    def _assertion(self) -> str:
        now = int(time.time())
        return self.key.sign({"iss": self.reg.client_id, "sub": self.reg.client_id,
                              "aud": self.reg.assertion_audience, "iat": now, "exp": now + 300,
                              "jti": uuid.uuid4().hex})

    def access_token(self) -> str:
        if self._token is not None and time.monotonic() < self._token[1]:
            return self._token[0]
        response = self._request("POST", self.reg.access_token_url, data={
            "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self._assertion(), "scope": f"{SCOPE_LINEITEM} {SCOPE_SCORE}"})
        if response.status_code != 200:
            # The tool's credentials, not this score: kept pending until the registration is fixed.
            raise PlatformError("the platform refused the tool's access token request ("
                                + _reason(response) + "): check c.LtiPlatform.client_id, access_token_url and "
                                "the tool's public keyset URL in the platform", True)
        try:
            body = response.json()
            token, lifetime = str(body["access_token"]), float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise PlatformError("the platform's token response is not an OAuth 2 token", True) from None
        self._token = (token, time.monotonic() + max(0.0, lifetime - 30))   # renewed 30 s before it expires
        return token

    def _authorized(self, method: str, url: str, **kwargs) -> requests.Response:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self.access_token()}"}
        response = self._request(method, url, headers=headers, **kwargs)
        if response.status_code == 401:           # token revoked or expired early: one more try with a new one
            self._token = None
            headers["Authorization"] = f"Bearer {self.access_token()}"
            response = self._request(method, url, headers=headers, **kwargs)
        return response

    # -- line items and scores ------------------------------------------------------------------------

    def find_lineitem(self, lineitems_url: str, resource_id: str) -> str | None:
        url, params = lineitems_url, {"resource_id": resource_id}
        while url:
            response = self._authorized("GET", url, params=params, headers={"Accept": LINEITEMS_TYPE})
            if response.status_code != 200:
                raise PlatformError(_reason(response), False)
            try:
                items = response.json()
            except ValueError:
                raise PlatformError("the platform's line items are not JSON", True) from None
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and item.get("resourceId") == resource_id and item.get("id"):
                    return str(item["id"])
            url, params = response.links.get("next", {}).get("url"), None
        return None

    def create_lineitem(self, lineitems_url: str, resource_id: str, label: str, score_maximum: float) -> str:
        response = self._authorized("POST", lineitems_url, headers={"Content-Type": LINEITEM_TYPE,
                                                                     "Accept": LINEITEM_TYPE},
                                    json={"scoreMaximum": score_maximum, "label": label, "resourceId": resource_id,
                                          "tag": "nbgrader"})
        if response.status_code not in (200, 201):
            raise PlatformError(_reason(response), False)
        try:
            return str(response.json()["id"])
        except (ValueError, KeyError, TypeError):
            raise PlatformError("the platform's new line item has no id", True) from None

    def post_score(self, lineitem_url: str, score: Score) -> None:
        response = self._authorized("POST", scores_url(lineitem_url), json=score.body(),
                                    headers={"Content-Type": SCORE_TYPE})
        if response.status_code not in (200, 201, 202, 204):
            raise PlatformError(_reason(response), False)
