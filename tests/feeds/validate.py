"""Checks a feed with independent parsers from PyPI and prints what they read, as one JSON
object, for the Rust end-to-end tests (tests/e2e/portal.rs) to assert on.

    python validate.py ical <file>   icalendar: every event with its start in UTC and in Germany
    python validate.py atom <file>   feedparser: the feed's entries; not ok if it is malformed

Exit 0 when ok, 1 when not (then the JSON has "ok": false and "error"), 2 on bad usage.
Written against the icalendar 6.x API (Calendar.from_ical, walk, decoded, Timezone.to_tz),
which 7.x keeps; feedparser 6.x.
"""
import json
import re
import sys
from datetime import timezone
from zoneinfo import ZoneInfo


def check_lines(raw: bytes):
    """RFC 5545 §3.1: every line ends with CRLF and is at most 75 octets long."""
    if not raw.endswith(b"\r\n"):
        return "the last line does not end with CRLF"
    for n, line in enumerate(raw[:-2].split(b"\r\n"), 1):
        if b"\n" in line or b"\r" in line:
            return f"line {n} is not ended by CRLF"
        if len(line) > 75:
            return f"line {n} is {len(line)} octets long"
    return None


def text(value):
    """A TEXT property as a string, unescaped. icalendar 6.x reads X-WR-CALNAME (and NAME) as
    TEXT; 7.x as an unknown type whose str() keeps the RFC 5545 escapes, so undo those here."""
    import icalendar

    if value is None:
        return None
    if isinstance(value, icalendar.vText):
        return str(value)
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], str(value))


def ical(raw: bytes) -> dict:
    error = check_lines(raw)
    if error:
        return {"ok": False, "error": error}
    import icalendar

    cal = icalendar.Calendar.from_ical(raw)
    # The tz each VTIMEZONE's own rules define (not the tz database's zone of that name), so
    # a client without tz data, which only has these rules, is checked too.
    rules = {str(tz["TZID"]): tz.to_tz(lookup_tzid=False) for tz in cal.walk("VTIMEZONE")}
    events = []
    for ev in cal.walk("VEVENT"):
        start = ev.decoded("DTSTART")  # tz-aware, from the tz database for a known TZID
        tzid = ev["DTSTART"].params.get("TZID")
        if getattr(start, "tzinfo", None) is None or tzid is None:
            return {"ok": False, "error": f"{ev.get('UID')}: DTSTART has no TZID"}
        # Not cal.get_missing_tzids(): in 6.x it raises KeyError on an unused VTIMEZONE.
        for name in ("DTSTART", "DTEND"):
            if name in ev and ev[name].params.get("TZID") not in rules:
                return {"ok": False, "error": f"{ev.get('UID')}: no VTIMEZONE for {name}"}
        start_utc = start.astimezone(timezone.utc)
        by_rules = start.replace(tzinfo=None).replace(tzinfo=rules[tzid]).astimezone(timezone.utc)
        if by_rules != start_utc:
            return {
                "ok": False,
                "error": f"{ev.get('UID')}: VTIMEZONE {tzid} gives {by_rules}, tz data {start_utc}",
            }
        local = start.astimezone(ZoneInfo(tzid)).isoformat()
        events.append(
            {
                "uid": str(ev.get("UID")),
                "summary": text(ev.get("SUMMARY")),
                "start": local,
                "start_local": local,  # the name tests/e2e/portal.rs reads
                "start_utc": start_utc.isoformat(),
                "tzid": tzid,
                "status": text(ev.get("STATUS")),
                "location": text(ev.get("LOCATION")),
                "url": str(ev.get("URL")) if ev.get("URL") else None,
            }
        )
    return {
        "ok": True,
        "calname": text(cal.get("X-WR-CALNAME")),
        "events": events,
        "timezones": list(rules),
    }


def atom(raw: bytes) -> dict:
    import feedparser

    feed = feedparser.parse(raw)
    if feed.bozo:
        return {"ok": False, "bozo": True, "error": str(feed.bozo_exception)}
    if feed.version != "atom10":
        return {"ok": False, "bozo": False, "error": f"not Atom 1.0 but {feed.version!r}"}
    return {
        "ok": True,
        "bozo": False,
        "title": feed.feed.get("title"),
        "entries": [
            {
                "id": e.get("id"),
                "title": e.get("title"),
                "link": e.get("link"),
                "updated": e.get("updated"),
            }
            for e in feed.entries
        ],
    }


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[1] not in ("ical", "atom"):
        print(json.dumps({"ok": False, "error": "usage: validate.py ical|atom <file>"}))
        return 2
    kind, path = sys.argv[1], sys.argv[2]
    try:
        with open(path, "rb") as f:
            raw = f.read()
        result = {"ical": ical, "atom": atom}[kind](raw)
    except Exception as e:  # a parser error is a failed check, reported like the others
        result = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
