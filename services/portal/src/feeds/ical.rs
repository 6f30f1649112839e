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
    /// `None` (or an end not after the start) writes no `DTEND` and no `DURATION`, which
    /// RFC 5545 §3.6.1 allows: the event then has no stated length. Inventing one (say two
    /// hours) would show a wrong end in every calendar.
    pub end: Option<DateTime<Utc>>,
    pub location: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
    /// `STATUS:CANCELLED`, else `STATUS:CONFIRMED`.
    pub cancelled: bool,
    /// `DTSTAMP` and `LAST-MODIFIED`.
    pub modified: DateTime<Utc>,
}

/// The rules for Germany since 1996 (EU summer time). Clients that have their own tz data use
/// the TZID; the rest need this block to turn wall time into an instant.
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

/// A calendar named `name` (`NAME` and `X-WR-CALNAME`) holding `events`, with CRLF line ends
/// and lines folded at 75 octets.
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
            // A URI value is not TEXT: no escaping, but no control characters either.
            line(&format!("URL:{}", u.replace(char::is_control, "")));
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

/// Wall time in Germany. An instant in the repeated hour of an October night gives an
/// ambiguous wall time, which RFC 5545 §3.3.5 reads as the first (summer) one; meetings are
/// not held then.
fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Berlin).format("%Y%m%dT%H%M%S").to_string()
}

/// A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks (`\r\n`,
/// `\n` or a lone `\r`) escaped; other control characters but tab dropped, as TEXT forbids them.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' => out.push_str("\\n"),
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded to lines of at most 75 octets (RFC 5545 §3.1), never inside a UTF-8
/// character, each ended by CRLF; continuation lines start with a space, which counts.
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
    fn local_time_with_tzid_on_both_sides_of_the_changes() {
        let at = |m, d, h| Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap();
        // Summer time starts 29 March 2026 and ends 25 October 2026.
        let events = [
            event(at(3, 28, 17), "CET"),
            event(at(3, 30, 16), "CEST"),
            event(at(10, 24, 16), "CEST"),
            event(at(10, 26, 17), "CET"),
        ];
        let ics = calendar("Sitzungen", &events);
        for day in ["20260328", "20260330", "20261024", "20261026"] {
            assert!(ics.contains(&format!("DTSTART;TZID=Europe/Berlin:{day}T180000\r\n")));
            assert!(ics.contains(&format!("DTEND;TZID=Europe/Berlin:{day}T200000\r\n")));
        }
        assert!(ics.contains("DTSTAMP:20260328T170000Z\r\n"));
        assert!(ics.contains("LAST-MODIFIED:20260330T160000Z\r\n"));
        assert_eq!(ics.matches("BEGIN:VTIMEZONE").count(), 1);
        assert_eq!(ics.matches("STATUS:CONFIRMED").count(), 4);
        assert!(ics.contains("LOCATION:Rathaus\\, Saal 1\\; EG\r\n"));
    }

    #[test]
    fn no_end_writes_no_dtend_and_cancelled_is_stated() {
        let start = Utc.with_ymd_and_hms(2026, 6, 14, 16, 0, 0).unwrap();
        let ics = calendar(
            "S",
            &[CalendarEvent {
                end: None,
                cancelled: true,
                ..event(start, "a")
            }],
        );
        assert!(ics.contains("DTSTART;TZID=Europe/Berlin:20260614T180000\r\n"));
        assert!(!ics.contains("DTEND") && !ics.contains("\nDURATION"));
        assert!(ics.contains("STATUS:CANCELLED\r\n"));
    }

    #[test]
    fn long_lines_fold_within_75_octets_and_unfold_exactly() {
        let summary: String = "Öffentliche Bekanntmachung über die Straßenausbaubeiträge "
            .repeat(4)
            .chars()
            .take(200)
            .collect();
        assert_eq!(summary.chars().count(), 200);
        let ics = calendar("Ä", &[event(Utc::now(), &summary)]);
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        let lines: Vec<&str> = ics.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(lines.iter().all(|l| l.len() <= 75 && !l.contains('\n')));
        assert!(
            lines.iter().any(|l| l.len() > 72),
            "a folded line uses the width"
        );
        assert!(unfold(&ics).contains(&format!("SUMMARY:{summary}\r\n")));
    }

    #[test]
    fn fold_never_splits_a_character() {
        let mut out = String::new();
        // 74 ASCII octets, then a 2-octet ü that would end at octet 76: it moves down whole.
        fold(&mut out, &format!("{}ü", "x".repeat(74)));
        assert_eq!(out, format!("{}\r\n ü\r\n", "x".repeat(74)));
    }

    #[test]
    fn text_escapes_and_drops_controls() {
        assert_eq!(
            text("a\\b;c,d\r\ne\nf\rg\u{7}\th"),
            "a\\\\b\\;c\\,d\\ne\\nf\\ng\th"
        );
    }
}
