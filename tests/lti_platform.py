"""A learning platform for the tests, on 127.0.0.1, written from 1EdTech's specifications: LTI 1.3
Core (the resource link launch and its claims), the Security Framework 1.0 (third-party initiated
login, the OIDC authentication request answered by an auto-submitted form with a signed id_token,
OAuth 2 client credentials with a JWT assertion checked against the tool's JWKS) and Assignment and
Grade Services 2.0 (line items, scores, the last timestamp wins).

It keeps a gradebook to assert on (`results`, every score POST in `score_posts`), can be stopped
and started again on the same port with its state, can answer the next requests with a 500 or a
429 (`fail_next`), refuse a user (`refuse_user`), delete a line item (`delete_lineitem`), answer
slowly (`delay`), and sign the next id_token differently (`tamper`).

A student's browser reaches the tool as on a real platform: the course page (`course_page_url`, the
platform's session stood in for by `?user=`) shows the activity's link; the link's page posts the
third-party initiated login to the tool's login URL by itself (Moodle's launch.php does the same).

Its users carry the claims Moodle 4.x sends (`ext.user_username`) and those of a Canvas tool with
a custom field (`custom.login_id`), so that the tool's claim mapping is tried on both shapes.
"""
from __future__ import annotations

import html
import json
import re
import secrets
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from bench.harness import free_port

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/"
SCOPE_LINEITEM, SCOPE_SCORE = AGS + "scope/lineitem", AGS + "scope/score"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def new_key() -> tuple[rsa.RSAPrivateKey, dict]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid=secrets.token_hex(8), alg="RS256", use="sig")
    return key, jwk


@dataclass
class User:
    sub: str
    username: str          # Moodle's username (ext claim) and Canvas's login (custom claim)
    given_name: str
    family_name: str
    email: str


@dataclass
class Tamper:
    """How to spoil the next id_token: claims changed or removed, or signed with another key."""
    claims: dict = field(default_factory=dict)       # claim -> value (None: removed)
    key: rsa.RSAPrivateKey | None = None
    kid: str | None = None


class Platform:
    def __init__(self, client_id: str = "outil-notebooks", deployment_id: str = "deploiement-1",
                 token_lifetime: int = 3600, page_size: int = 10):
        self.port = free_port()
        self.client_id, self.deployment_id = client_id, deployment_id
        self.token_lifetime, self.page_size = token_lifetime, page_size
        self.key, self.jwk = new_key()
        self.tool_login_url = self.tool_jwks_url = ""     # the tool's registration, as an admin types it
        self.tool_target_link_uri = ""
        self.activity_title = "Descente de gradient"
        self.tool_redirect_uris: list[str] = []
        self.users: dict[str, User] = {}
        self.refused_users: set[str] = set()
        self.lineitems: dict[str, dict] = {}            # id (URL) -> line item
        self.results: dict[str, dict[str, dict]] = {}   # line item id -> user id -> last score body
        self.score_posts: list[dict] = []               # every score POST accepted: line item, body, ignored
        self.requests: list[tuple[float, str, str, int]] = []   # (time.monotonic(), method, path, status)
        self.token_requests = 0
        self.jwks_requests = 0
        self.lineitem_creations = 0
        self.delay = 0.0
        self.tamper: Tamper | None = None
        self._hints: dict[str, tuple[str, str]] = {}    # lti_message_hint -> (sub, target_link_uri)
        self._tokens: dict[str, tuple[float, set[str]]] = {}
        self._jtis: set[str] = set()
        self._failures: deque[tuple[int, str | None]] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._connections: set[socket.socket] = set()     # open ones (HTTP/1.1 keeps them alive)

    # -- life ---------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    issuer = url
    jwks_url = property(lambda self: self.url + "/jwks")
    auth_url = property(lambda self: self.url + "/auth")
    token_url = property(lambda self: self.url + "/token")
    lineitems_url = property(lambda self: self.url + "/courses/7/lineitems")

    def course_page_url(self, sub: str) -> str:
        """The course's page as `sub` sees it when logged in to the platform."""
        return f"{self.url}/courses/7?{urlencode({'user': sub})}"

    def start(self) -> "Platform":
        platform = self

        class Handler(PlatformHandler):
            pass

        Handler.platform = platform
        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """As a platform going down: no new connection, and the kept-alive ones closed (else a
        client reusing one would still be answered)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # -- what a test sets up and reads -----------------------------------------------------------

    def enrol(self, sub: str, username: str, given_name: str, family_name: str, email: str) -> User:
        self.users[sub] = User(sub, username, given_name, family_name, email)
        return self.users[sub]

    def clear_gradebook(self) -> None:
        """The course's columns and scores gone, counters and planned failures back to zero (users kept)."""
        with self._lock:
            self.lineitems.clear()
            self.results.clear()
            self.score_posts.clear()
            self.requests.clear()
            self._failures.clear()
            self.refused_users.clear()
            self.token_requests = self.lineitem_creations = 0
            self.delay = 0.0
            self.token_lifetime = 3600

    def rotate_key(self) -> None:
        """A new signing key, the only one in the JWKS from now on."""
        self.key, self.jwk = new_key()

    def refuse_user(self, sub: str) -> None:
        self.refused_users.add(sub)

    def fail_next(self, count: int, status: int = 500, retry_after: str | None = None) -> None:
        with self._lock:
            self._failures.extend([(status, retry_after)] * count)

    def delete_lineitem(self, resource_id: str) -> None:
        with self._lock:
            for item_id in [i for i, item in self.lineitems.items() if item.get("resourceId") == resource_id]:
                del self.lineitems[item_id]

    def lineitem_of(self, resource_id: str) -> dict | None:
        return next((item for item in self.lineitems.values() if item.get("resourceId") == resource_id), None)

    def grade(self, resource_id: str, sub: str) -> float | None:
        """The gradebook's score of `sub` in the column of `resource_id` (None: none)."""
        item = self.lineitem_of(resource_id)
        body = self.results.get(item["id"], {}).get(sub) if item else None
        return None if body is None else body.get("scoreGiven")

    def posts_for(self, resource_id: str, sub: str) -> list[dict]:
        return [p["body"] for p in self.score_posts
                if p["resource_id"] == resource_id and p["body"]["userId"] == sub]

    def login_initiation(self, sub: str, target_link_uri: str) -> dict[str, str]:
        """The parameters of the third-party initiated login the platform sends the browser to the
        tool with, when `sub` clicks the activity."""
        hint = secrets.token_urlsafe(12)
        self._hints[hint] = (sub, target_link_uri)
        return {"iss": self.issuer, "login_hint": sub, "target_link_uri": target_link_uri,
                "lti_message_hint": hint, "client_id": self.client_id, "lti_deployment_id": self.deployment_id}

    # -- the id_token ------------------------------------------------------------------------------------

    def id_token(self, user: User, nonce: str, target_link_uri: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer, "aud": self.client_id, "azp": self.client_id, "sub": user.sub,
            "exp": now + 300, "iat": now, "nonce": nonce,
            "name": f"{user.given_name} {user.family_name}", "given_name": user.given_name,
            "family_name": user.family_name, "email": user.email,
            LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id, LTI + "target_link_uri": target_link_uri,
            LTI + "resource_link": {"id": "lien-42", "title": "Descente de gradient"},
            LTI + "roles": [LEARNER],
            LTI + "context": {"id": "cours-7", "label": "ML101", "title": "Apprentissage automatique",
                              "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
            LTI + "ext": {"user_username": user.username, "lms": "moodle-2"},
            LTI + "custom": {"login_id": user.username, "canvas_user_id": str(100000 + len(user.sub))},
            AGS + "claim/endpoint": {"scope": [SCOPE_LINEITEM, AGS + "scope/result.readonly", SCOPE_SCORE],
                                     "lineitems": self.lineitems_url},
        }
        key, kid = self.key, self.jwk["kid"]
        if self.tamper is not None:
            tamper, self.tamper = self.tamper, None
            for name, value in tamper.claims.items():
                if value is None:
                    claims.pop(name, None)
                else:
                    claims[name] = value
            key, kid = tamper.key or key, tamper.kid or kid
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})

    # -- OAuth 2 ------------------------------------------------------------------------------------------------

    def check_assertion(self, assertion: str) -> str | None:
        """None if the tool's client assertion is good (RFC 7523, checked against the tool's JWKS
        fetched from its URL), else the OAuth 2 error."""
        try:
            header = jwt.get_unverified_header(assertion)
            keys = jwt.PyJWKSet.from_dict(requests.get(self.tool_jwks_url, timeout=10).json())
            key = next(k for k in keys.keys if k.key_id == header.get("kid"))
            claims = jwt.decode(assertion, key.key, algorithms=["RS256"], audience=self.token_url,
                                issuer=self.client_id, options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]})
        except (StopIteration, jwt.PyJWTError, requests.RequestException, ValueError):
            return "invalid_client"
        if claims["sub"] != self.client_id or claims["jti"] in self._jtis:
            return "invalid_client"
        self._jtis.add(claims["jti"])
        return None

    def new_token(self, scopes: set[str]) -> str:
        token = secrets.token_urlsafe(24)
        self._tokens[token] = (time.time() + self.token_lifetime, scopes)
        return token

    def token_scopes(self, authorization: str) -> set[str] | None:
        token = authorization.removeprefix("Bearer ").strip()
        expires, scopes = self._tokens.get(token, (0.0, set()))
        return scopes if expires > time.time() else None


class PlatformHandler(BaseHTTPRequestHandler):
    platform: Platform
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):   # quiet
        pass

    def setup(self):
        super().setup()
        with self.platform._lock:
            self.platform._connections.add(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            with self.platform._lock:
                self.platform._connections.discard(self.connection)

    def _send(self, status: int, body: object = b"", content_type: str = "application/json",
              headers: dict | None = None) -> None:
        data = body if isinstance(body, bytes) else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
        with self.platform._lock:
            self.platform.requests.append((time.monotonic(), self.command, urlsplit(self.path).path, status))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _failure(self) -> bool:
        p = self.platform
        with p._lock:
            if not p._failures:
                return False
            status, retry_after = p._failures.popleft()
        self._send(status, {"error": "service unavailable" if status >= 500 else "too many requests"},
                   headers={"Retry-After": retry_after} if retry_after else None)
        return True

    def _route(self, method: str) -> None:
        p = self.platform
        if p.delay:
            time.sleep(p.delay)
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        if method == "GET" and path == "/jwks":
            with p._lock:
                p.jwks_requests += 1
            return self._send(200, {"keys": [p.jwk]})
        if method == "GET" and path == "/auth":
            return self._authenticate(query)
        if method == "GET" and path == "/courses/7":
            return self._course_page(query.get("user", ""))
        if method == "GET" and path == "/courses/7/activity/1":
            return self._launch_activity(query.get("user", ""))
        if self._failure():
            return None
        if method == "POST" and path == "/token":
            return self._token({k: v[0] for k, v in parse_qs(self._body().decode()).items()})
        scopes = p.token_scopes(self.headers.get("Authorization", ""))
        if scopes is None:
            return self._send(401, {"error": "invalid_token"})
        lineitems = urlsplit(p.lineitems_url).path
        if path == lineitems and method == "GET":
            return self._list_lineitems(query, scopes)
        if path == lineitems and method == "POST":
            return self._create_lineitem(scopes)
        match = re.fullmatch(re.escape(lineitems) + r"/(\d+)/scores", path)
        if match and method == "POST":
            return self._score(p.lineitems_url + "/" + match[1], scopes)
        return self._send(404, {"error": "not found"})

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    # -- the student's side: the course page and the activity's launch --------------------------------

    def _course_page(self, sub: str) -> None:
        p = self.platform
        if sub not in p.users:
            return self._send(403, "<p>not enrolled</p>", "text/html; charset=utf-8")
        link = f"/courses/7/activity/1?{urlencode({'user': sub})}"
        self._send(200, f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>ML101</title></head><body>'
                        f'<h1>Apprentissage automatique</h1><ul><li><a id="activite" href="{html.escape(link)}">'
                        f'{html.escape(p.activity_title)}</a></li></ul></body></html>', "text/html; charset=utf-8")

    def _launch_activity(self, sub: str) -> None:
        """The third-party initiated login (LTI 1.3 Core 4.1), posted to the tool by the browser."""
        p = self.platform
        if sub not in p.users or not p.tool_login_url:
            return self._send(403, "<p>not enrolled, or the tool is not registered</p>", "text/html; charset=utf-8")
        fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in p.login_initiation(sub, p.tool_target_link_uri).items())
        self._send(200, f'<!DOCTYPE html><html><body><form method="post" action="{html.escape(p.tool_login_url)}">'
                        f'{fields}</form><script>document.forms[0].submit()</script></body></html>',
                   "text/html; charset=utf-8")

    # -- OIDC: the authentication request, answered by a form that posts the id_token to the tool --

    def _authenticate(self, q: dict) -> None:
        p = self.platform
        wanted = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
                  "client_id": p.client_id}
        wrong = [k for k, v in wanted.items() if q.get(k) != v]
        wrong += [k for k in ("nonce", "state", "login_hint") if not q.get(k)]
        if q.get("redirect_uri") not in p.tool_redirect_uris:
            wrong.append("redirect_uri")
        sub, target = p._hints.pop(q.get("lti_message_hint", ""), (None, ""))
        if sub is None or sub != q.get("login_hint") or sub not in p.users:
            wrong.append("lti_message_hint")
        if wrong:
            return self._send(400, {"error": "invalid_request", "error_description": ", ".join(wrong)})
        token = p.id_token(p.users[sub], q["nonce"], target)
        form = (f'<!DOCTYPE html><html><body><form method="post" action="{html.escape(q["redirect_uri"])}">'
                f'<input type="hidden" name="id_token" value="{html.escape(token)}">'
                f'<input type="hidden" name="state" value="{html.escape(q["state"])}">'
                '</form><script>document.forms[0].submit()</script></body></html>')
        self._send(200, form, "text/html; charset=utf-8")

    # -- OAuth 2 client credentials ------------------------------------------------------------------------

    def _token(self, form: dict) -> None:
        p = self.platform
        with p._lock:
            p.token_requests += 1
        if form.get("grant_type") != "client_credentials" or form.get("client_assertion_type") != \
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return self._send(400, {"error": "unsupported_grant_type"})
        error = p.check_assertion(form.get("client_assertion", ""))
        if error:
            return self._send(401, {"error": error})
        scopes = set(form.get("scope", "").split()) & {SCOPE_LINEITEM, SCOPE_SCORE}
        self._send(200, {"access_token": p.new_token(scopes), "token_type": "Bearer",
                         "expires_in": p.token_lifetime, "scope": " ".join(sorted(scopes))})

    # -- AGS -------------------------------------------------------------------------------------------------------

    def _list_lineitems(self, q: dict, scopes: set[str]) -> None:
        p = self.platform
        if SCOPE_LINEITEM not in scopes:
            return self._send(403, {"error": "insufficient_scope"})
        items = [i for i in p.lineitems.values()
                 if not q.get("resource_id") or i.get("resourceId") == q["resource_id"]]
        start = int(q.get("start", 0))
        page, headers = items[start:start + p.page_size], {}
        if start + p.page_size < len(items):
            query = urlencode({**q, "start": start + p.page_size})
            headers["Link"] = f'<{p.lineitems_url}?{query}>; rel="next"'
        self._send(200, page, "application/vnd.ims.lis.v2.lineitemcontainer+json", headers)

    def _create_lineitem(self, scopes: set[str]) -> None:
        p = self.platform
        if SCOPE_LINEITEM not in scopes:
            return self._send(403, {"error": "insufficient_scope"})
        if self.headers.get("Content-Type") != "application/vnd.ims.lis.v2.lineitem+json":
            return self._send(415, {"error": "unsupported media type"})
        item = json.loads(self._body())
        if not isinstance(item.get("scoreMaximum"), (int, float)) or item["scoreMaximum"] <= 0 or not item.get("label"):
            return self._send(400, {"error": "scoreMaximum > 0 and label are required"})
        with p._lock:
            p.lineitem_creations += 1
            item["id"] = f"{p.lineitems_url}/{p.lineitem_creations}"
            p.lineitems[item["id"]] = item
        self._send(201, item, "application/vnd.ims.lis.v2.lineitem+json")

    def _score(self, item_id: str, scopes: set[str]) -> None:
        p = self.platform
        if SCOPE_SCORE not in scopes:
            return self._send(403, {"error": "insufficient_scope"})
        if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
            return self._send(415, {"error": "unsupported media type"})
        body = json.loads(self._body())
        item = p.lineitems.get(item_id)
        if item is None:
            return self._send(404, {"errors": {"type": "not_found", "message": "The specified line item was not found"}})
        problems = [k for k in ("userId", "timestamp", "activityProgress", "gradingProgress") if k not in body]
        if body.get("activityProgress") not in ("Initialized", "Started", "InProgress", "Submitted", "Completed"):
            problems.append("activityProgress")
        if body.get("gradingProgress") not in ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"):
            problems.append("gradingProgress")
        if "scoreGiven" in body and not isinstance(body.get("scoreMaximum"), (int, float)):
            problems.append("scoreMaximum")
        try:
            when = datetime.fromisoformat(body.get("timestamp", ""))
            if when.tzinfo is None:
                problems.append("timestamp without a time zone")
        except ValueError:
            problems.append("timestamp")
        if problems:
            return self._send(400, {"errors": {"type": "bad_request", "message": "bad " + ", ".join(problems)}})
        if body["userId"] not in p.users or body["userId"] in p.refused_users:
            return self._send(422, {"errors": {"type": "unprocessable_entity",
                                               "message": "User not found in course or is not a student"}})
        with p._lock:
            last = p.results.setdefault(item_id, {}).get(body["userId"])
            # AGS 2.0: the platform must not update a result whose last timestamp is later.
            ignored = last is not None and datetime.fromisoformat(last["timestamp"]) > when
            if not ignored:
                p.results[item_id][body["userId"]] = body
            p.score_posts.append({"lineitem": item_id, "resource_id": item.get("resourceId"), "body": body,
                                  "ignored": ignored})
        self._send(204)
