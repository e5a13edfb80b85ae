"""Back office registration list: sorting by column, pages, and links that keep filters."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from eventapp.models import RegistrationStatus, Sector


def listed_ids(response) -> list[int]:
    return [
        int(i) for i in re.findall(r'data-registration="(\d+)"', response.get_data(as_text=True))
    ]


def links(response, pattern: str = "/registrations?") -> list[dict[str, list[str]]]:
    """The query of every link on the page to the list itself."""
    page = response.get_data(as_text=True)
    return [
        parse_qs(urlsplit(html.unescape(href)).query)
        for href in re.findall(r'href="([^"]+)"', page)
        if pattern in html.unescape(href)
    ]


T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def people(make_event, make_registration):
    """Five people whose every sortable column gives another order."""
    event = make_event()
    rows = [
        # last name, first, organisation, status, registered (minutes), checked in (minutes)
        ("Zander", "Anna", "Ämter-Verbund", RegistrationStatus.CONFIRMED, 3, 20),
        ("Öztürk", "Greta", "Zweckverband", RegistrationStatus.WAITLISTED, 1, None),
        ("Müller", "Bernd", "Bauverein", RegistrationStatus.CANCELLED, 4, None),
        ("Mueller", "Carla", "Caritas", RegistrationStatus.CONFIRMED, 0, 10),
        ("Adler", "Dora", "Ökozentrum", RegistrationStatus.CONFIRMED, 2, None),
    ]
    made = {}
    for last, first, org, status, registered, checked_in in rows:
        made[last] = make_registration(
            event,
            last_name=last,
            first_name=first,
            organisation=org,
            status=status,
            created_at=T0 + timedelta(minutes=registered),
            checked_in_at=None if checked_in is None else T0 + timedelta(minutes=checked_in),
            sector=Sector.RESEARCH if last == "Adler" else None,
        )
    return event, made


def order(admin_client, event, made, query: str) -> list[str]:
    response = admin_client.get(f"/admin/events/{event.id}/registrations{query}")
    assert response.status_code == 200
    by_id = {reg.id: name for name, reg in made.items()}
    return [by_id[i] for i in listed_ids(response)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # DIN 5007-1: "Müller" files as "Muller", after "Mueller"; "Öztürk" among the O.
        ("", ["Adler", "Mueller", "Müller", "Öztürk", "Zander"]),
        ("?sort=name&dir=asc", ["Adler", "Mueller", "Müller", "Öztürk", "Zander"]),
        ("?sort=name&dir=desc", ["Zander", "Öztürk", "Müller", "Mueller", "Adler"]),
        ("?sort=organisation", ["Zander", "Müller", "Mueller", "Adler", "Öztürk"]),
        ("?sort=organisation&dir=desc", ["Öztürk", "Adler", "Mueller", "Müller", "Zander"]),
        # confirmed, waitlisted, cancelled; by name within a status
        ("?sort=status", ["Adler", "Mueller", "Zander", "Öztürk", "Müller"]),
        ("?sort=registered", ["Mueller", "Öztürk", "Adler", "Zander", "Müller"]),
        ("?sort=registered&dir=desc", ["Müller", "Zander", "Adler", "Öztürk", "Mueller"]),
        # Not checked in: last in both directions, by name.
        ("?sort=checked_in", ["Mueller", "Zander", "Adler", "Müller", "Öztürk"]),
        ("?sort=checked_in&dir=desc", ["Zander", "Mueller", "Adler", "Müller", "Öztürk"]),
    ],
)
def test_the_list_sorts_by_each_column(admin_client, people, query, expected):
    event, made = people
    assert order(admin_client, event, made, query) == expected


@pytest.mark.parametrize(
    "query",
    ["?sort=email", "?sort=", "?sort=name%27--", "?dir=sideways", "?sort[]=x&dir=up", "?page=-1"],
)
def test_unknown_order_falls_back_to_the_name(admin_client, people, query):
    event, made = people
    assert order(admin_client, event, made, query) == order(admin_client, event, made, "")


def test_headers_say_which_column_sorts_and_link_the_other_direction(admin_client, people):
    event, _made = people
    response = admin_client.get(f"/admin/events/{event.id}/registrations?sort=organisation")
    page = response.get_data(as_text=True)
    assert re.search(r'<th scope="col" data-sort="organisation" aria-sort="ascending">', page)
    assert page.count("aria-sort=") == 1
    header = re.search(r'data-sort="organisation".*?href="([^"]+)"', page, re.S).group(1)
    query = parse_qs(urlsplit(html.unescape(header)).query)
    assert (query["sort"], query["dir"]) == (["organisation"], ["desc"])
    descending = admin_client.get(
        f"/admin/events/{event.id}/registrations?sort=organisation&dir=desc"
    ).get_data(as_text=True)
    assert 'data-sort="organisation" aria-sort="descending"' in descending
    name_header = re.search(r'data-sort="name".*?href="([^"]+)"', descending, re.S).group(1)
    assert parse_qs(urlsplit(html.unescape(name_header)).query)["dir"] == ["asc"]


def test_sort_links_keep_the_search_and_filters(admin_client, people):
    event, _made = people
    response = admin_client.get(
        f"/admin/events/{event.id}/registrations?q=a&status=active&sector=research&page=1"
    )
    headers = [q for q in links(response) if "sort" in q and "q" in q]
    assert len(headers) == 5
    for query in headers:
        assert query["q"] == ["a"]
        assert query["status"] == ["active"]
        assert query["sector"] == ["research"]
        assert "page" not in query  # a new order starts on its first page


def test_the_filter_form_keeps_the_order(admin_client, people):
    event, _made = people
    page = admin_client.get(
        f"/admin/events/{event.id}/registrations?sort=registered&dir=desc"
    ).get_data(as_text=True)
    start = page.index('id="registration-filters"')
    form = page[start : page.index("</form>", start)]
    assert '<input type="hidden" name="sort" value="registered">' in form
    assert '<input type="hidden" name="dir" value="desc">' in form


def test_an_unknown_order_is_not_carried_into_the_form(admin_client, people):
    event, _made = people
    page = admin_client.get(
        f'/admin/events/{event.id}/registrations?sort="><b>x&dir=desc'
    ).get_data(as_text=True)
    assert '<input type="hidden" name="sort" value="name">' in page
    assert "<b>x" not in page


@pytest.fixture
def many(make_event, make_registration):
    event = make_event()
    for n in range(120):
        make_registration(
            event,
            last_name=f"Person {n:03d}",
            organisation="Stadt Lorsch" if n % 2 else "Stadt Bensheim",
            created_at=T0 + timedelta(minutes=n),
        )
    return event


def test_pages_split_the_sorted_list_without_gaps_or_repeats(admin_client, many):
    base = f"/admin/events/{many.id}/registrations?sort=registered&dir=desc"
    pages = [listed_ids(admin_client.get(f"{base}&page={n}")) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [50, 50, 20]
    everything = [i for p in pages for i in p]
    assert len(set(everything)) == 120
    assert everything == sorted(everything, reverse=True)  # ids follow the arrival here


def test_page_links_keep_filters_and_order(admin_client, many):
    response = admin_client.get(
        f"/admin/events/{many.id}/registrations?q=stadt&sort=organisation&dir=desc&page=2"
    )
    pages = [q for q in links(response) if "page" in q]
    assert {q["page"][0] for q in pages} >= {"1", "3"}
    for query in pages:
        assert query["q"] == ["stadt"]
        assert (query["sort"], query["dir"]) == (["organisation"], ["desc"])
    page = response.get_data(as_text=True)
    assert 'aria-current="page">2<' in page


@pytest.mark.parametrize(
    ("page", "expected_count"),
    [("0", 50), ("abc", 50), ("-3", 50), ("4", 20), ("99999999999999999999", 20)],
)
def test_pages_out_of_range_fall_back(admin_client, many, page, expected_count):
    response = admin_client.get(f"/admin/events/{many.id}/registrations?page={page}")
    assert response.status_code == 200
    assert len(listed_ids(response)) == expected_count


def test_an_empty_result_is_a_page_not_an_error(admin_client, many):
    response = admin_client.get(f"/admin/events/{many.id}/registrations?q=niemand&page=3")
    assert response.status_code == 200
    assert listed_ids(response) == []
