"""The responses table: paginated and filtered in SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

from _pages_helpers import fill_run

from tianping.server._pages_responses import ClauseFilter, response_page, score_labels
from tianping.store import Store


def test_pages_filters_and_counts(store_url: str) -> None:
    with Store.open(store_url) as store:
        run_id = fill_run(store, 1234)
        first = response_page(store, run_id)
        assert first.total == 1234
        assert first.pages == 25
        assert len(first.rows) == 50
        ids = [r.item_id for r in first.rows]
        assert ids == sorted(ids)
        second = response_page(store, run_id, page=2)
        assert not set(ids) & {r.item_id for r in second.rows}
        assert second.rows[0].item_id > ids[-1]
        last = response_page(store, run_id, page=999)  # past the end: the last page
        assert last.page == 25
        assert len(last.rows) == 1234 - 24 * 50
        row = first.rows[0]
        assert row.prompt.startswith("question ")
        assert row.response == f"answer {row.position}"
        assert [s.scorer for s in row.scores] == ["refusal"]

        generated = response_page(store, run_id, clause=ClauseFilter("9.3-x", "generated", None))
        assert generated.total == 617
        assert all(r.item_id.startswith("generated/") for r in generated.rows)

        complied = response_page(store, run_id, label="complied")
        assert complied.total == len([i for i in range(1234) if i % 3 == 0])
        assert all(r.scores[0].label == "complied" for r in complied.rows)

        risky = response_page(store, run_id, risk="A1c")
        assert risky.total == len([i for i in range(1234) if i % 8 == 2])
        assert all(r.risk == "A1c" for r in risky.rows)

        both = response_page(
            store,
            run_id,
            clause=ClauseFilter("9.4a", "should-refuse", "refusal"),
            label="refused",
            risk="A1a",
        )
        expected = [i for i in range(1234) if i % 2 == 0 and i % 3 and i % 8 == 0]
        assert both.total == len(expected)

        hidden = response_page(store, run_id, show_text=False, show_scores=False)
        assert all(r.response is None and not r.scores for r in hidden.rows)
        shown_no_text = response_page(store, run_id, show_text=False)
        assert all(s.explanation == "" for r in shown_no_text.rows for s in r.scores)
        assert score_labels(store, run_id) == ("complied", "refused")


def test_like_wildcards_in_a_role_are_literal(db_url: str) -> None:
    with Store.open(db_url) as store:
        run_id = fill_run(store, 20)
        assert response_page(store, run_id, clause=ClauseFilter("c", "gen%", None)).total == 0
        assert response_page(store, run_id, clause=ClauseFilter("c", "_enerated", None)).total == 0
