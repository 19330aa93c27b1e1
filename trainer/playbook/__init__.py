"""The playbook as citable passages: parse a .md or .txt edition along its own structure (no vendor code here)."""

from trainer.playbook.files import MAX_BYTES, SUFFIXES, expand_paths, load_playbook, parse_playbook
from trainer.playbook.passages import HEADING_SEPARATOR, embedding_text, passage_id

__all__ = [
    "HEADING_SEPARATOR",
    "MAX_BYTES",
    "SUFFIXES",
    "embedding_text",
    "expand_paths",
    "load_playbook",
    "parse_playbook",
    "passage_id",
]
