"""The messages a failing check gives: French for the student, English for the instructor.

A message is a `str` (the French text, what pytest and nbgrader show) that also carries a
short code and an English line for the instructor's reports.
"""
from __future__ import annotations

from autograder.feedback import COMMON_MESSAGES, Feedback

MESSAGES = {
    **COMMON_MESSAGES,
    # code: (French for the student, English for the instructor)
    "error": (
        "La cellule `{cell}` lève une erreur : {type}: {message}",
        "cell {cell} raises {type}: {message}"),
    "integer_tensor": (
        "Un tenseur d'entiers est utilisé là où il faut des flottants (par exemple `torch.tensor([5])` au lieu "
        "de `torch.tensor([5.0])` ou `dtype=torch.float32`) : {message}",
        "integer tensor where a float one is needed ({message})"),
    "gradient_sum": (
        "Ton gradient est N = len(x) fois trop grand (N = {n} avec les données X du notebook) : c'est une somme, "
        "pas une moyenne. `np.dot` additionne déjà les produits et renvoie un scalaire, donc `.mean()` ne divise "
        "plus par rien : divise par N (ou écris `np.mean(2*x*(y_predit - y))`).",
        "gradient summed over the samples instead of averaged (np.dot already sums)"),
    "gradient_sign": (
        "Ton gradient a le mauvais signe : dL/dw = moyenne de 2x(wx − y), c'est-à-dire 2x·(y_predit − y).",
        "gradient with the wrong sign"),
    "gradient_no_factor_2": (
        "Ton gradient est deux fois trop petit : la dérivée de (wx − y)² est 2x(wx − y), n'oublie pas le facteur 2.",
        "gradient without the factor 2"),
    "gradient_global_w": (
        "Ton gradient n'utilise pas `y_predit` : il recalcule la prédiction avec le `w` global "
        "(`w * x` ou `avant(x)`). `gradient(x, y, y_predit)` doit se servir de son argument "
        "`y_predit`.",
        "gradient computed from the global w instead of its argument y_predit"),
    "loop_off_by_one": (
        "Ta boucle fait une itération de {sens} que `n_iters` ({fait} au lieu de {n_iters} avec les "
        "données du notebook) : {exemple}. Écris `for i in range(n_iters):`.",
        "the loop runs {fait} times instead of n_iters = {n_iters} (off by one)"),
    "loss_sum": (
        "Ton regret est une somme et non une moyenne : l'erreur quadratique moyenne divise par le nombre "
        "d'échantillons (`.mean()`).",
        "loss summed instead of averaged"),
    "grad_not_zeroed": (
        "Les gradients ne sont jamais remis à zéro : `backward()` les additionne d'une itération à l'autre, "
        "donc w oscille au lieu de converger. Ajoute `w.grad.zero_()` (ou `optimizer.zero_grad()`) à chaque "
        "itération.",
        "gradients never zeroed (they accumulate, w oscillates)"),
    "update_outside_no_grad": (
        "La mise à jour de w est faite hors de `torch.no_grad()` : PyTorch refuse de modifier en place une "
        "feuille qui demande un gradient. Écris la mise à jour dans `with torch.no_grad():`.",
        "in-place update of w outside torch.no_grad() (RuntimeError on a leaf)"),
    "w_rebound": (
        "`w = w - ...` crée un nouveau tenseur : w n'est plus la feuille dont PyTorch calcule le gradient "
        "(`w.grad` devient None). Modifie w en place : `w -= learning_rate * w.grad` sous `torch.no_grad()`.",
        "w rebound to a new tensor (w = w - ...), so w.grad is None"),
    "broadcast": (
        "Les formes de la prédiction et de la cible ne sont pas les mêmes ({detail}) : `nn.MSELoss` les "
        "diffuse en une matrice et le modèle apprend la moyenne de Y. Appelle `regret(y_pred, Y_train)`, "
        "les deux de forme (n, 1).",
        "shapes (n,) against (n, 1) in the loss: silent broadcasting"),
    "avant_instead_of_forward": (
        "Ta classe définit `avant` mais pas `forward` : `model(x)` appelle `forward`, que `nn.Module` ne "
        "fournit pas (NotImplementedError). Renomme la méthode en `forward` (un alias `avant` peut rester à "
        "côté).",
        "nn.Module subclass defines avant instead of forward"),
    "hand_typed": (
        "Tes résultats ne changent pas quand les données changent : ils semblent écrits à la main "
        "(par exemple `w = 2.0`) au lieu d'être calculés par la boucle d'apprentissage.",
        "results typed in by hand (they do not depend on the data)"),
    "hyper_changed": (
        "Les hyper-paramètres ou les données ont été modifiés dans ta cellule ({detail}) : utilise "
        "`learning_rate`, `n_iters`, `X` et `Y` tels que la cellule verrouillée les définit.",
        "hyper-parameters or data changed by the student ({detail})"),
    "not_linear_model": (
        "`model` doit être `nn.Linear(input_size, output_size)` ; c'est {got}.",
        "model is {got}, not nn.Linear(input_size, output_size)"),
    "optimizer": (
        "`optimizer` doit être `torch.optim.SGD` sur {params} avec `lr=learning_rate` ; {detail}.",
        "optimizer is not SGD over {params} with lr=learning_rate ({detail})"),
    "diverged": (
        "L'apprentissage diverge ou donne NaN : vérifie le gradient et le pas d'apprentissage.",
        "training diverges or gives NaN"),
    "no_output": (
        "Le notebook n'a pas pu être exécuté jusqu'au bout par le correcteur ({detail}).",
        "the notebook could not be run to the end ({detail})"),
}


def feedback(code: str, **details) -> Feedback:
    fr, en = MESSAGES[code]
    return Feedback(code, fr.format(**details), en.format(**details))


_CAUSES_IN_SHORT = {   # the instructor's short line for each cause, where the message's is long
    "not_done": "not attempted (the stub still raises NotImplementedError)",
    "missing": "a name the checks need is not defined after the run",
    "error": "a cell raises an error",
    "not_a_number": "a function returns something that is not a number",
    "wrong_value": "wrong value (no known mistake recognised)",
    "not_linear_model": "model is not nn.Linear(input_size, output_size)",
    "optimizer": "optimizer is not SGD over the parameters with lr=learning_rate",
    "hyper_changed": "hyper-parameters or data changed by the student",
    "broadcast": "shapes (n,) against (n, 1) in the loss: silent broadcasting",
    "no_output": "the notebook could not be run to the end",
    "visible_test": "a visible test of the cell fails (the hidden check passes)",
}


CAUSES = {code: en for code, (_, en) in MESSAGES.items()} | _CAUSES_IN_SHORT
