"""JupyterHub for the course (docs/deploy.md): local Unix accounts (PAM), each student's server
run as their own account from the kit's shared environment, with nbgrader's Assignment List; or,
once deploy/setup-lti.sh has run, students launched from Moodle or Canvas (LTI 1.3) as their own
accounts and instructors with their password.

Settings come from the environment (the systemd unit reads $KIT_PREFIX/etc/hub.env):
KIT_PREFIX (the shared environment's prefix), KIT_HUB_URL (where the hub listens; put TLS in front
of it), KIT_HUB_GROUPS (Unix groups allowed to log in: the students' group, then the instructors'),
KIT_HUB_STATE (the hub's database and cookie secret), KIT_LTI_COURSE_DIR (the course whose
nbgrader_config.py registers an LTI platform; unset: PAM for everyone); KIT_HUB_API_PORT and
KIT_PROXY_API_PORT move the hub's and the proxy's loopback ports (8081 and 8001).
"""
import os

c = get_config()  # noqa: F821  (injected by traitlets)

prefix = os.environ.get("KIT_PREFIX", "/opt/descente-gradient")
state = os.environ.get("KIT_HUB_STATE", "/var/lib/descente-gradient")

c.JupyterHub.bind_url = os.environ.get("KIT_HUB_URL", "http://127.0.0.1:8000")
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("KIT_HUB_API_PORT", "8081"))
c.JupyterHub.db_url = f"sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{state}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = f"{state}/jupyterhub.pid"
c.ConfigurableHTTPProxy.command = [f"{prefix}/node/node_modules/.bin/configurable-http-proxy"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('KIT_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.pid_file = f"{state}/jupyterhub-proxy.pid"

groups = [g for g in os.environ.get("KIT_HUB_GROUPS", "kit-students,kit-instructors").split(",") if g]
lti_course = os.environ.get("KIT_LTI_COURSE_DIR", "")
if lti_course:
    # Students from the course's LTI platform, each as their own Unix account (made beforehand, in the
    # students' group); a launch never logs in an instructor's account. Instructors (formgrader) log in
    # with their password on the hub's form. The hub serves the tool's keyset at /hub/lti/jwks.
    c.JupyterHub.authenticator_class = "autograder.lti.local_accounts.LtiLocalAuthenticator"
    c.LtiAuthenticator.course_dir = lti_course
    c.LtiLocalAuthenticator.student_groups = set(groups[:1])
    c.LtiLocalAuthenticator.password_groups = set(groups[1:])
    c.JupyterHub.template_vars = {"announcement_login": "Étudiants : ouvrez ce serveur depuis le lien de "
                                                        "l'activité dans votre cours Moodle ou Canvas."}
else:
    # Local Unix accounts: one per student, checked by PAM; only the course's groups log in.
    c.JupyterHub.authenticator_class = "pam"
    c.Authenticator.allowed_groups = set(groups)
c.PAMAuthenticator.open_sessions = False

# Each user's server: the kit's shared environment, as that user, in their home, JupyterLab.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [f"{prefix}/venv/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {"PATH": f"{prefix}/venv/bin:/usr/local/bin:/usr/bin:/bin"}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
