from irflow.dayofcase import docs
from irflow.lib.docblocks import current


def test_the_day_of_case_doc_shows_the_rules_as_the_code_declares_them():
    for name, body in docs.generated().items():
        assert current(docs.DOC, name, body), (
            f"docs/day-of-case.md ({name}) is out of date: run irflow docs"
        )
