"""The team's glossary: a query in everyday words is searched with the playbook's words for what it says."""

from __future__ import annotations

from tests.conftest import ORIGINAL_PLAYBOOK, ROOT
from trainer.content.loader import load_content
from trainer.playbook.glossary import Glossary

GLOSSARY = Glossary.model_validate(
    {
        "terms": [
            {"playbook": "more staff", "said": ["hiring", "more people", "headcount"]},
            {"playbook": "IT will block", "said": ["it department", "systems team"]},
            {"playbook": "phone", "said": ["ring"]},
        ]
    }
)


def test_an_everyday_phrase_adds_the_playbooks_words() -> None:
    assert GLOSSARY.expand("they said hiring is the answer") == "they said hiring is the answer (more staff)"
    assert GLOSSARY.playbook_terms_in("the Systems Team will kill it, and they want more people") == [
        "more staff",
        "IT will block",
    ]


def test_whole_words_only_and_nothing_added_when_the_query_already_says_it() -> None:
    assert GLOSSARY.expand("it will take more staffing") == "it will take more staffing"  # 'staffing' says it
    assert GLOSSARY.expand("string theory of bring-ups") == "string theory of bring-ups"  # no 'ring' inside words
    assert GLOSSARY.expand("what does IT think") == "what does IT think"  # 'it' alone is not 'it department'
    assert GLOSSARY.expand("we need more staff, hiring is hard") == "we need more staff, hiring is hard"


def test_the_shipped_glossary_names_words_the_playbook_uses() -> None:
    content = load_content(ROOT)
    editions = [*content.playbooks, ORIGINAL_PLAYBOOK]  # the project's markdown and the team's original
    playbook = " ".join(p.read_text(encoding="utf-8").lower() for p in editions)
    missing = [t.playbook for t in content.glossary.terms if t.playbook.lower() not in playbook]
    assert not missing, f"glossary terms the playbook never says: {missing}"
