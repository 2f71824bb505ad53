"""The kit's classes for nbgrader's filesystem exchange, each a subclass of nbgrader's own, chosen
through nbgrader's `ExchangeFactory` in a `nbgrader_config.py` (docs/deploy.md):

- students' side (the shared environment's config): `PrivateSubmit` (a submission readable by its
  student and the course's graders only), `FetchFeedbackWithSummary` (the kit's summary page
  fetched with nbgrader's pages);
- instructor's side (the course's config): `VettedCollect` (an entry not owned by the account it
  names, or holding a link or another account's file, is not collected), `PrivateReleaseFeedback`
  (a feedback page readable by its student and the graders only), `LtiReleaseFeedback` (the same,
  and the released scores queued for the course's LTI platform: docs/lti.md).
"""
from .collect import VettedCollect
from .fetch_feedback import FetchFeedbackWithSummary
from .release_feedback import LtiReleaseFeedback, PrivateReleaseFeedback
from .submit import PrivateSubmit

__all__ = ["FetchFeedbackWithSummary", "LtiReleaseFeedback", "PrivateReleaseFeedback", "PrivateSubmit", "VettedCollect"]
