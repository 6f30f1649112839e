//! iCalendar (RFC 5545). Times are written as wall time in Europe/Berlin with `TZID` and one
//! `VTIMEZONE` that states the German rules, so calendar apps show the right hour on both
//! sides of a daylight-saving change; stamps are UTC.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Berlin;

/// One meeting in a calendar.
pub struct CalendarEvent {
    /// Stable across updates, e.g. `<uuid>@<host>`.
    pub uid: String,
    pub summary: String,
    pub start: DateTime<Utc>,
    /// Without an end the event has no `DTEND` (RFC 5545 then means "the start only").
    pub end: Option<DateTime<Utc>>,
    pub location: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
    pub cancelled: bool,
    /// `DTSTAMP` and `LAST-MODIFIED`.
    pub modified: DateTime<Utc>,
}

const VTIMEZONE: &[&str] = &[
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Berlin",
    "X-LIC-LOCATION:Europe/Berlin",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
];

/// A calendar named `name` holding `events`.
pub fn calendar(name: &str, events: &[CalendarEvent]) -> String {
    let mut out = String::new();
    let mut line = |l: &str| fold(&mut out, l);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//Plenum//Ratsinformationssystem//DE");
    line("CALSCALE:GREGORIAN");
    line("METHOD:PUBLISH");
    line(&format!("NAME:{}", text(name)));
    line(&format!("X-WR-CALNAME:{}", text(name)));
    line("X-WR-TIMEZONE:Europe/Berlin");
    line("REFRESH-INTERVAL;VALUE=DURATION:PT1H");
    line("X-PUBLISHED-TTL:PT1H");
    for l in VTIMEZONE {
        line(l);
    }
    for e in events {
        line("BEGIN:VEVENT");
        line(&format!("UID:{}", text(&e.uid)));
        line(&format!("DTSTAMP:{}", utc(e.modified)));
        line(&format!("LAST-MODIFIED:{}", utc(e.modified)));
        line(&format!("DTSTART;TZID=Europe/Berlin:{}", local(e.start)));
        if let Some(end) = e.end.filter(|end| *end > e.start) {
            line(&format!("DTEND;TZID=Europe/Berlin:{}", local(end)));
        }
        line(&format!("SUMMARY:{}", text(&e.summary)));
        if let Some(l) = &e.location {
            line(&format!("LOCATION:{}", text(l)));
        }
        if let Some(d) = &e.description {
            line(&format!("DESCRIPTION:{}", text(d)));
        }
        if let Some(u) = &e.url {
            // A URI value is not TEXT: no escaping, but no line breaks either.
            line(&format!("URL:{}", u.replace(['\r', '\n'], "")));
        }
        line(if e.cancelled {
            "STATUS:CANCELLED"
        } else {
            "STATUS:CONFIRMED"
        });
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Berlin).format("%Y%m%dT%H%M%S").to_string()
}

/// A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped; other
/// control characters dropped.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded to lines of at most 75 octets (RFC 5545 §3.1), never inside a UTF-8
/// character, each ended by CRLF; continuation lines start with a space.
fn fold(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(start: DateTime<Utc>, summary: &str) -> CalendarEvent {
        CalendarEvent {
            uid: "1@x".into(),
            summary: summary.into(),
            start,
            end: Some(start + chrono::Duration::hours(2)),
            location: Some("Rathaus, Saal 1; EG".into()),
            description: None,
            url: Some("https://x.de/t/a/sitzungen/1".into()),
            cancelled: false,
            modified: start,
        }
    }

    fn unfold(ics: &str) -> String {
        ics.replace("\r\n ", "")
    }

    #[test]
    fn local_time_with_tzid_on_both_sides_of_the_change() {
        let before = Utc.with_ymd_and_hms(2026, 3, 28, 17, 0, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 3, 30, 16, 0, 0).unwrap();
        let october = Utc.with_ymd_and_hms(2026, 10, 26, 17, 0, 0).unwrap();
        let ics = calendar(
            "Sitzungen",
            &[event(before, "a"), event(after, "b"), event(october, "c")],
        );
        assert!(ics.contains("DTSTART;TZID=Europe/Berlin:20260328T180000\r\n"));
        assert!(ics.contains("DTSTART;TZID=Europe/Berlin:20260330T180000\r\n"));
        assert!(ics.contains("DTSTART;TZID=Europe/Berlin:20261026T180000\r\n"));
        assert!(ics.contains("DTEND;TZID=Europe/Berlin:20260330T200000\r\n"));
        assert_eq!(ics.matches("BEGIN:VTIMEZONE").count(), 1);
        assert!(ics.contains("LOCATION:Rathaus\\, Saal 1\\; EG\r\n"));
    }

    #[test]
    fn long_lines_fold_within_75_octets_and_unfold_exactly() {
        let summary = "Öffentliche Bekanntmachung über die Straßenausbaubeiträge ".repeat(4);
        let ics = calendar("Ä", &[event(Utc::now(), &summary)]);
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert!(unfold(&ics).contains(&format!("SUMMARY:{summary}\r\n")));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn text_escapes_and_drops_controls() {
        assert_eq!(text("a\\b;c,d\r\ne\u{7}"), "a\\\\b\\;c\\,d\\ne");
    }
}
