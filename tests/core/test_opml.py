"""OPML import and export: nested folders, round trips, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.core.errors import ConfigError
from desk.core.feeds.opml import read_opml, write_opml
from desk.core.models import Feed

NESTED = """<?xml version="1.0"?>
<opml version="1.0"><head><title>mine</title></head><body>
  <outline text="World">
    <outline text="Asia">
      <outline type="rss" text="Korea Wire" xmlUrl="https://kw.example/rss"/>
    </outline>
    <outline type="rss" title="Daily &amp; Co" text="ignored" xmlUrl="https://daily.example/atom"/>
  </outline>
  <outline type="rss" text="Podcast" xmlUrl="ftp://old.example/feed"/>
  <outline type="rss" xmlUrl="http://bare.example/feed.json"/>
</body></opml>"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.opml"
    path.write_text(text, encoding="utf-8")
    return path


def test_nested_outlines_become_tags(tmp_path: Path) -> None:
    feeds = read_opml(write(tmp_path, NESTED))
    assert feeds == [
        Feed(url="https://kw.example/rss", name="Korea Wire", tags=("World", "Asia")),
        Feed(url="https://daily.example/atom", name="Daily & Co", tags=("World",)),
        Feed(url="http://bare.example/feed.json", name="", tags=()),
    ]


def test_round_trip(tmp_path: Path) -> None:
    feeds = [
        Feed(url="https://a.example/rss?x=1&y=2", name='Quotes "and" <angles>'),
        Feed(url="https://b.example/"),
    ]
    back = read_opml(write(tmp_path, write_opml(feeds)))
    assert [(f.url, f.name) for f in back] == [
        ("https://a.example/rss?x=1&y=2", 'Quotes "and" <angles>'),
        ("https://b.example/", "https://b.example/"),
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("<opml><body><outline", "not valid XML"),
        ("<rss></rss>", "not an OPML document"),
        ('<!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body/></opml>', "DOCTYPE is refused"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path: Path, text: str, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        read_opml(path)
    assert str(caught.value).startswith(str(path)) and words in str(caught.value)
