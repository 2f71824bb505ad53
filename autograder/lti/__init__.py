"""LTI 1.3: students launched from Moodle or Canvas into JupyterHub, and their scores sent back to the
platform's gradebook (LTI Advantage, Assignment and Grade Services 2.0). docs/lti.md.

Generic machinery: nothing here names a lesson.

- `settings`: the platform's registration (nbgrader_config.py, `c.LtiPlatform.*`) and the claim mapping;
- `keys`: the tool's RSA key pair and its JWKS;
- `launch`: OIDC third-party login and the id_token's validation (LTI 1.3 Core, 1EdTech Security Framework);
- `roster`: what a good launch records (nbgrader's student table, the student's LTI user id);
- `ags`: the AGS client (OAuth 2 client credentials with a signed JWT assertion, line items, scores);
- `outbox`: the scores to post, kept on disk until the platform confirms them;
- `passback`: `ScorePassback(course_dir)`, what `serve` calls, and its background sender;
- `hub`: the JupyterHub authenticator and handlers (the only module that imports JupyterHub);
- `cli`: `python -m autograder lti keys|jwks|status|push`.
"""
