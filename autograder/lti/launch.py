"""An LTI 1.3 launch, checked as LTI 1.3 Core and the 1EdTech Security Framework (section 5.1) say.

1. The platform starts a third-party initiated login (`iss`, `login_hint`, `target_link_uri`, and
   perhaps `lti_message_hint`, `client_id`, `lti_deployment_id`): `LaunchValidator.begin` checks it
   and answers with the platform's authentication URL to redirect to, a fresh `state` and `nonce`
   (kept here, single use, for ten minutes).
2. The platform posts back a signed `id_token` and the `state`: `LaunchValidator.finish` checks the
   state (issued here, not used yet, and the one in the browser's cookie), the signature against the
   platform's JWKS (cached, fetched again on an unknown key id), iss, aud and azp, exp and iat, the
   nonce (the one issued with that state: used once, as the state), the deployment id, the message
   type and version, then
   maps the claims to the student (`settings.LtiPlatform.*_claim`).

Every refusal is a `LaunchRefused` with a code (`REFUSALS`): the hub logs its English line and shows
the student the French page of that code.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from urllib.parse import urlencode

import jwt
import requests

from ..service.policy import plain_name      # the student ids serve accepts: one definition
from .settings import Registration, claim

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
LTI_VERSION = "1.3.0"
SIGNING_ALGORITHMS = ["RS256"]      # LTI 1.3 Security Framework: RS256 at least; nothing weaker accepted

# code -> what the instructor reads in the hub's log (English). docs/lti.md lists them.
REFUSALS = {
    "bad_login_request": "the login initiation lacks a parameter or names another platform",
    "unknown_deployment": "the deployment id is not one of c.LtiPlatform.deployment_ids",
    "bad_state": "the state is unknown, expired, already used, or not this browser's",
    "bad_token": "the id_token is not a well-formed signed JWT",
    "unknown_key": "the id_token's key id is not in the platform's JWKS",
    "platform_unreachable": "the platform's JWKS could not be fetched",
    "bad_signature": "the id_token's signature does not verify with the platform's key",
    "wrong_issuer": "the id_token's iss is not c.LtiPlatform.issuer",
    "wrong_audience": "the id_token's aud (or azp) is not c.LtiPlatform.client_id",
    "expired": "the id_token has expired, or was issued too long ago",
    "not_yet_valid": "the id_token is issued in the future",
    "replayed": "the id_token's nonce is not the one issued with this state (a token replayed after its login)",
    "wrong_message": "the message is not an LTI 1.3.0 resource link launch",
    "missing_claim": "a required claim is missing",
    "bad_student_id": "the claim mapped to the student id is missing or not a plain name",
    "not_allowed": "the student id is not an account this hub lets in from a launch",
}


class LaunchRefused(Exception):
    def __init__(self, code: str, detail: str = ""):
        assert code in REFUSALS, code
        self.code, self.detail = code, detail
        super().__init__(self.log_line())

    def log_line(self) -> str:
        return f"LTI launch refused ({self.code}): {REFUSALS[self.code]}" + (f"; {self.detail}" if self.detail else "")


def shown(value, limit: int = 80) -> str:
    """A value from the request for a log line: quoted, bounded."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass(frozen=True)
class LoginRedirect:
    url: str          # the platform's authentication request, to redirect the browser to
    state: str        # to keep in the browser's cookie until the launch comes back


@dataclass(frozen=True)
class Launch:
    """A launch that passed every check: who the student is, and where their scores go."""
    student_id: str
    first_name: str
    last_name: str
    email: str
    lms_user_id: str
    sub: str                    # the platform's user id: the AGS score's userId
    issuer: str
    deployment_id: str
    context_id: str
    context_title: str
    resource_link_id: str
    target_link_uri: str
    lineitems_url: str          # the AGS endpoint of the launch's context ("" without AGS)
    ags_scopes: tuple[str, ...] = field(default_factory=tuple)


class PlatformKeys:
    """The platform's JWKS, fetched when first needed and again when a token names a key id it
    does not hold (the platform rotated its keys), at most once every `min_refresh` seconds."""

    def __init__(self, url: str, timeout: float, min_refresh: float = 10.0):
        self.url, self.timeout, self.min_refresh = url, timeout, min_refresh
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def _fetch(self) -> None:
        try:
            response = requests.get(self.url, timeout=self.timeout, headers={"Accept": "application/json"})
            response.raise_for_status()
            keys = jwt.PyJWKSet.from_dict(response.json()).keys
        except (requests.RequestException, ValueError, jwt.PyJWTError) as exc:
            raise LaunchRefused("platform_unreachable", f"{self.url}: {type(exc).__name__}") from None
        self._keys = {key.key_id or "": key for key in keys if key.public_key_use in (None, "sig")}
        self._fetched_at = time.monotonic()

    def key(self, kid: str | None) -> jwt.PyJWK:
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at >= self.min_refresh:
                self._fetch()
            if kid is None and len(self._keys) == 1:
                return next(iter(self._keys.values()))
            try:
                return self._keys[kid]
            except KeyError:
                raise LaunchRefused("unknown_key", f"kid {shown(kid)}") from None


class _Expiring:
    """A bounded map whose entries are forgotten after `ttl` seconds (the oldest first when full)."""

    def __init__(self, ttl: float, limit: int):
        self.ttl, self.limit = ttl, limit
        self._items: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def _forget_old(self, now: float) -> None:
        while self._items and (len(self._items) > self.limit or next(iter(self._items.values()))[0] < now):
            self._items.popitem(last=False)

    def put(self, key: str, value: object) -> None:
        with self._lock:
            now = time.monotonic()
            self._items[key] = (now + self.ttl, value)
            self._forget_old(now)

    def pop(self, key: str):
        with self._lock:
            self._forget_old(time.monotonic())
            entry = self._items.pop(key, None)
            return None if entry is None else entry[1]


@dataclass(frozen=True)
class _Pending:
    nonce: str
    target_link_uri: str


class LaunchValidator:
    """The tool's side of the launch, for one platform registration (one per hub process)."""

    LOGIN_TTL = 600.0

    def __init__(self, registration: Registration):
        registration.require("issuer", "client_id", "deployment_ids", "jwks_url", "auth_login_url")
        self.reg = registration
        self.keys = PlatformKeys(registration.jwks_url, registration.http_timeout_seconds)
        self._pending = _Expiring(self.LOGIN_TTL, limit=10_000)

    # -- step 1: third-party initiated login ------------------------------------------------------

    def begin(self, params: dict[str, str], redirect_uri: str) -> LoginRedirect:
        """`params`: the login initiation's; `redirect_uri`: where the platform posts the id_token."""
        iss, login_hint, target = (params.get(k, "") for k in ("iss", "login_hint", "target_link_uri"))
        if not (iss and login_hint and target):
            missing = [k for k in ("iss", "login_hint", "target_link_uri") if not params.get(k)]
            raise LaunchRefused("bad_login_request", f"missing {', '.join(missing)}")
        if iss != self.reg.issuer:
            raise LaunchRefused("bad_login_request", f"iss {shown(iss)}")
        if params.get("client_id") and params["client_id"] != self.reg.client_id:
            raise LaunchRefused("bad_login_request", f"client_id {shown(params['client_id'])}")
        deployment = params.get("lti_deployment_id")
        if deployment and deployment not in self.reg.deployment_ids:
            raise LaunchRefused("unknown_deployment", f"lti_deployment_id {shown(deployment)}")
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._pending.put(state, _Pending(nonce, target))
        query = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
                 "client_id": self.reg.client_id, "redirect_uri": redirect_uri, "login_hint": login_hint,
                 "state": state, "nonce": nonce}
        if params.get("lti_message_hint"):
            query["lti_message_hint"] = params["lti_message_hint"]
        separator = "&" if "?" in self.reg.auth_login_url else "?"
        return LoginRedirect(self.reg.auth_login_url + separator + urlencode(query), state)

    # -- step 2: the authentication response ------------------------------------------------------

    def finish(self, id_token: str, state: str, browser_state: str | None) -> Launch:
        if not state or not browser_state or not secrets.compare_digest(state, browser_state):
            raise LaunchRefused("bad_state", "the state does not match this browser's cookie")
        pending = self._pending.pop(state)
        if pending is None:
            raise LaunchRefused("bad_state", "no login was started with this state, or it was already used")
        token = self._verified(id_token or "")
        # The nonce must be the one issued with this state; the state was just spent, so a nonce is used once.
        if not secrets.compare_digest(str(token["nonce"]), pending.nonce):
            raise LaunchRefused("replayed", "nonce is not the one issued with this state")
        self._check_message(token)
        return self._launch(token)

    def _verified(self, id_token: str) -> dict:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError:
            raise LaunchRefused("bad_token") from None
        if header.get("alg") not in SIGNING_ALGORITHMS:
            raise LaunchRefused("bad_token", f"alg {shown(header.get('alg'))}")
        key = self.keys.key(header.get("kid"))
        leeway = self.reg.clock_leeway_seconds
        try:
            token = jwt.decode(id_token, key.key, algorithms=SIGNING_ALGORITHMS, audience=self.reg.client_id,
                               issuer=self.reg.issuer, leeway=leeway,
                               options={"require": ["iss", "aud", "exp", "iat", "sub", "nonce"]})
        except jwt.InvalidSignatureError:
            raise LaunchRefused("bad_signature") from None
        except jwt.ExpiredSignatureError:
            raise LaunchRefused("expired") from None
        except jwt.InvalidAudienceError:
            raise LaunchRefused("wrong_audience", f"aud {shown(_unverified(id_token).get('aud'))}") from None
        except jwt.InvalidIssuerError:
            raise LaunchRefused("wrong_issuer", f"iss {shown(_unverified(id_token).get('iss'))}") from None
        except jwt.ImmatureSignatureError:
            raise LaunchRefused("not_yet_valid") from None
        except jwt.MissingRequiredClaimError as exc:
            raise LaunchRefused("missing_claim", exc.claim) from None
        except jwt.PyJWTError as exc:
            raise LaunchRefused("bad_token", type(exc).__name__) from None
        audiences = token["aud"] if isinstance(token["aud"], list) else [token["aud"]]
        if (len(audiences) > 1 or "azp" in token) and token.get("azp") != self.reg.client_id:
            raise LaunchRefused("wrong_audience", f"azp {shown(token.get('azp'))}")
        now = time.time()
        if not isinstance(token["iat"], (int, float)) or token["iat"] > now + leeway:
            raise LaunchRefused("not_yet_valid", "iat")
        if token["iat"] < now - self.reg.max_token_age_seconds - leeway:
            raise LaunchRefused("expired", "issued too long ago")
        return token

    def _check_message(self, token: dict) -> None:
        deployment = token.get(LTI + "deployment_id")
        if not deployment:
            raise LaunchRefused("missing_claim", "deployment_id")
        if deployment not in self.reg.deployment_ids:
            raise LaunchRefused("unknown_deployment", f"deployment_id {shown(deployment)}")
        if token.get(LTI + "message_type") != RESOURCE_LINK_REQUEST:
            raise LaunchRefused("wrong_message", f"message_type {shown(token.get(LTI + 'message_type'))}")
        if token.get(LTI + "version") != LTI_VERSION:
            raise LaunchRefused("wrong_message", f"version {shown(token.get(LTI + 'version'))}")
        link = token.get(LTI + "resource_link")
        if not isinstance(link, dict) or not link.get("id"):
            raise LaunchRefused("missing_claim", "resource_link.id")
        if not token.get(LTI + "target_link_uri"):
            raise LaunchRefused("missing_claim", "target_link_uri")
        if not isinstance(token["sub"], str) or not token["sub"]:
            raise LaunchRefused("missing_claim", "sub")

    def _launch(self, token: dict) -> Launch:
        reg = self.reg
        student_id = claim(token, reg.student_id_claim)
        if not isinstance(student_id, str) or not plain_name(student_id):
            raise LaunchRefused("bad_student_id", f"{reg.student_id_claim}: {shown(student_id)}")

        def text(name: str) -> str:
            value = claim(token, name) if name else None
            return value.strip()[:200] if isinstance(value, str) else ("" if value is None else str(value)[:200])

        context = token.get(LTI + "context") if isinstance(token.get(LTI + "context"), dict) else {}
        ags = token.get(AGS_ENDPOINT) if isinstance(token.get(AGS_ENDPOINT), dict) else {}
        scopes = ags.get("scope") if isinstance(ags.get("scope"), list) else []
        return Launch(student_id=student_id, first_name=text(reg.first_name_claim), last_name=text(reg.last_name_claim),
                      email=text(reg.email_claim), lms_user_id=text(reg.lms_user_id_claim), sub=token["sub"],
                      issuer=token["iss"], deployment_id=token[LTI + "deployment_id"],
                      context_id=str(context.get("id", ""))[:200], context_title=str(context.get("title", ""))[:200],
                      resource_link_id=str(token[LTI + "resource_link"]["id"])[:200],
                      target_link_uri=str(token[LTI + "target_link_uri"]),
                      lineitems_url=str(ags.get("lineitems", "")), ags_scopes=tuple(str(s) for s in scopes))


def _unverified(id_token: str) -> dict:
    """The claims of a token whose signature was already verified (for a refusal's detail)."""
    return jwt.decode(id_token, options={"verify_signature": False})
