"""IEMOCAP utterance ids ('Ses01F_impro01_M000'): session and speaker.

Each of the five sessions was recorded by its own pair of actors, one female and one male, so
a session's utterances share no speaker with the others: leaving one session out is the
speaker-independent protocol. The letter before the turn number is the speaker's gender.
"""

from __future__ import annotations

import re

NUM_SESSIONS = 5
_ID = re.compile(r'^Ses(0[1-5])[FM]_.+_([FM])\d+$')


def session_of(uid: str) -> int | None:
  """The session (1..5) of an utterance id, None when it is not an IEMOCAP id."""
  match = _ID.match(uid)
  return int(match.group(1)) if match else None


def speaker_of(uid: str) -> str | None:
  """The speaker of an utterance id ('Ses01M' for 'Ses01F_impro01_M000'), None if not one."""
  match = _ID.match(uid)
  return f'Ses{match.group(1)}{match.group(2)}' if match else None
