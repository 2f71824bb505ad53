"""The tool's public keyset over HTTP: a tornado handler that JupyterHub mounts (autograder.lti.hub)
or that `python -m autograder lti jwks --serve` runs on its own, e.g. as a JupyterHub service:

    c.JupyterHub.services = [{"name": "lti-jwks", "url": "http://127.0.0.1:10101",
                              "command": ["python", "-m", "autograder", "--course-dir", COURSE,
                                          "lti", "jwks", "--serve", "--port", "10101"]}]

(then the keyset URL is <hub>/services/lti-jwks/jwks).
"""
from __future__ import annotations

import json
import os

from tornado import web


class JwksHandler(web.RequestHandler):
    def initialize(self, jwks: dict):
        self.jwks = jwks

    def get(self):
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "max-age=300")
        self.finish(json.dumps(self.jwks))


def serve_jwks(jwks: dict, port: int, address: str = "127.0.0.1") -> None:
    """Serve `jwks` at <prefix>jwks until interrupted (prefix: JupyterHub's for its services, else /)."""
    import asyncio

    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    app = web.Application([(prefix.rstrip("/") + "/jwks", JwksHandler, {"jwks": jwks})])

    async def main():
        app.listen(port, address)
        print(f"Serving the tool's JWKS at http://{address}:{port}{prefix.rstrip('/')}/jwks", flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
