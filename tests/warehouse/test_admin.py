"""The warehouse lists count at most a cap of rows; past it they say so, with the true figure
where ops came for one (the dashboard's hidden-leads drill-down)."""

from warehouse.admin import CappedCountPaginator
from warehouse.hidden import hidden_queryset


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_capped_list_says_so(client, ops, demo, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "COUNT_CAP", 5)
    shown = client.get("/admin/warehouse/company/")
    assert "More than 5 rows: the lists count at most 5 to stay fast." in " ".join(_messages(shown))


def test_the_hidden_leads_drill_down_shows_the_true_figure(client, ops, demo, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "COUNT_CAP", 5)
    hidden = hidden_queryset(entity="person", missing=("person_country",)).count()
    assert hidden > 5
    shown = client.get("/admin/warehouse/person/", {"missing": "person_country"})
    assert f"{hidden:,} rows in all; the lists count at most 5 to stay fast." in _messages(shown)


def test_a_list_under_the_cap_adds_no_message(client, ops, demo):
    assert _messages(client.get("/admin/warehouse/company/")) == []
