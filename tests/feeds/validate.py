"""Checks a feed with independent parsers from PyPI and prints what they read, as one JSON
object, for the Rust end-to-end tests (tests/e2e/portal.rs) to assert on.

    python validate.py ical <file>   icalendar: every event with its start in UTC and in Germany
    python validate.py atom <file>   feedparser: the feed's entries; not ok if it is malformed
"""
import json
import sys
from datetime import timezone
from zoneinfo import ZoneInfo


def ical(raw: bytes) -> dict:
    lines = raw.split(b"\r\n")
    if lines[-1] != b"":
        return {"ok": False, "error": "the last line does not end with CRLF"}
    for n, line in enumerate(lines[:-1], 1):
        if b"\n" in line or b"\r" in line:
            return {"ok": False, "error": f"line {n} is not ended by CRLF"}
        if len(line) > 75:
            return {"ok": False, "error": f"line {n} is {len(line)} octets long"}
    import icalendar

    cal = icalendar.Calendar.from_ical(raw)
    berlin = ZoneInfo("Europe/Berlin")
    events = []
    for ev in cal.walk("VEVENT"):
        start = ev.decoded("DTSTART")
        if start.tzinfo is None:
            return {"ok": False, "error": f"{ev.get('UID')}: DTSTART has no time zone"}
        events.append(
            {
                "uid": str(ev.get("UID")),
                "summary": str(ev.get("SUMMARY")),
                "start_utc": start.astimezone(timezone.utc).isoformat(),
                "start_local": start.astimezone(berlin).isoformat(),
                "tzid": ev["DTSTART"].params.get("TZID"),
                "status": str(ev.get("STATUS")),
                "location": str(ev.get("LOCATION")) if ev.get("LOCATION") else None,
                "url": str(ev.get("URL")) if ev.get("URL") else None,
            }
        )
    return {
        "ok": True,
        "calname": str(cal.get("X-WR-CALNAME")),
        "timezones": [str(tz.get("TZID")) for tz in cal.walk("VTIMEZONE")],
        "events": events,
    }


def atom(raw: bytes) -> dict:
    import feedparser

    feed = feedparser.parse(raw)
    if feed.bozo:
        return {"ok": False, "error": str(feed.bozo_exception)}
    if feed.version != "atom10":
        return {"ok": False, "error": f"not Atom 1.0 but {feed.version!r}"}
    return {
        "ok": True,
        "title": feed.feed.get("title"),
        "entries": [
            {"id": e.get("id"), "title": e.get("title"), "link": e.get("link"), "updated": e.get("updated")}
            for e in feed.entries
        ],
    }


def main() -> int:
    kind, path = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        raw = f.read()
    try:
        result = {"ical": ical, "atom": atom}[kind](raw)
    except Exception as e:  # a parser error is a failed check, reported like the others
        result = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
