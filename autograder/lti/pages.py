"""The short French page a student sees when a launch is refused: what happened and what to do,
by refusal code; nothing from the request is shown."""
from __future__ import annotations

from .launch import REFUSALS

RELAUNCH = "Retourne sur la page du cours dans Moodle ou Canvas et clique à nouveau sur le lien de l'activité."
TELL_TEACHER = "Si cela se reproduit, préviens ton enseignant (il trouvera la cause dans le journal de JupyterHub)."

WHAT_HAPPENED = {
    "bad_state": "Ta connexion a expiré ou a été ouverte dans un autre navigateur.",
    "expired": "Le lien de connexion envoyé par la plateforme a expiré.",
    "not_yet_valid": "L'horloge de la plateforme et celle du serveur ne sont pas d'accord.",
    "replayed": "Ce lien de connexion a déjà servi : il ne peut être utilisé qu'une fois.",
    "platform_unreachable": "Le serveur n'a pas pu joindre la plateforme pour vérifier ta connexion.",
    "bad_student_id": "La plateforme n'a pas transmis un identifiant d'étudiant utilisable.",
    "not_allowed": "Ton compte n'est pas (encore) ouvert sur ce serveur de notebooks.",
}
WHAT_TO_DO = {
    "not_allowed": "Préviens ton enseignant : c'est lui qui ouvre les comptes des étudiants du cours.",
}
DEFAULT = "La plateforme n'a pas pu prouver qui tu es : la connexion est refusée."
NOT_FROM_PLATFORM = ("Ce serveur s'ouvre depuis ton cours sur Moodle ou Canvas : clique sur le lien de l'activité "
                     "dans ton cours.")

PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Connexion refusée</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5">
<h1>{title}</h1>
<p>{what}</p>
<p>{todo}</p>
</body></html>
"""


def refused_page(code: str) -> str:
    assert code in REFUSALS, code
    return PAGE.format(title="Connexion refusée", what=WHAT_HAPPENED.get(code, DEFAULT),
                       todo=WHAT_TO_DO.get(code, f"{RELAUNCH} {TELL_TEACHER}"))


def launch_from_platform_page() -> str:
    return PAGE.format(title="Connexion depuis ton cours", what=NOT_FROM_PLATFORM, todo=TELL_TEACHER)
