//! Rendering: the templates (minijinja, HTML auto-escaped), the words (`t`), the links
//! (`link`, through `plenum-urls`) and German dates (`date`, `time`, `longdate`), always in
//! Europe/Berlin.

use crate::i18n::{Lang, Translations};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Europe::Berlin;
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind, State};
use plenum_urls::{Page, TenantBase};
use std::sync::Arc;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("start.html", include_str!("../templates/start.html")),
    ("calendar.html", include_str!("../templates/calendar.html")),
    ("meeting.html", include_str!("../templates/meeting.html")),
    ("papers.html", include_str!("../templates/papers.html")),
    ("paper.html", include_str!("../templates/paper.html")),
    (
        "committees.html",
        include_str!("../templates/committees.html"),
    ),
    (
        "committee.html",
        include_str!("../templates/committee.html"),
    ),
    ("persons.html", include_str!("../templates/persons.html")),
    ("person.html", include_str!("../templates/person.html")),
    ("search.html", include_str!("../templates/search.html")),
    ("legal.html", include_str!("../templates/legal.html")),
    ("ratsinfo.html", include_str!("../templates/ratsinfo.html")),
    ("amtsinfo.html", include_str!("../templates/amtsinfo.html")),
    (
        "work_list.html",
        include_str!("../templates/work_list.html"),
    ),
    ("desk.html", include_str!("../templates/desk.html")),
    (
        "paper_desk.html",
        include_str!("../templates/paper_desk.html"),
    ),
    (
        "minutes_check.html",
        include_str!("../templates/minutes_check.html"),
    ),
    ("message.html", include_str!("../templates/message.html")),
    (
        "installation.html",
        include_str!("../templates/installation.html"),
    ),
];

pub(crate) struct View {
    env: Environment<'static>,
}

fn lang(state: &State) -> Lang {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::parse))
        .unwrap_or_default()
}

fn invalid(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, what.into())
}

/// A GraphQL `DateTime` (RFC 3339) as the wall time in Germany.
fn berlin(value: &str) -> Result<chrono::DateTime<chrono_tz::Tz>, Error> {
    DateTime::parse_from_rfc3339(value)
        .map(|d| d.with_timezone(&Berlin))
        .map_err(|_| invalid(format!("not a date-time: {value}")))
}

/// A date-time or a plain date (`2026-06-14`) as the calendar day in Germany.
pub(crate) fn day_of(value: &str) -> Result<NaiveDate, Error> {
    if value.len() == 10 {
        return NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map_err(|_| invalid(format!("not a date: {value}")));
    }
    berlin(value).map(|d| d.date_naive())
}

const WEEKDAYS_DE: [&str; 7] = [
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonntag",
];
const WEEKDAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
pub(crate) const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
pub(crate) const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub(crate) fn month_name(lang: Lang, month: u32) -> &'static str {
    let i = (month.clamp(1, 12) - 1) as usize;
    match lang {
        Lang::De => MONTHS_DE[i],
        Lang::En => MONTHS_EN[i],
    }
}

/// "Sonntag, 14. Juni 2026" / "Sunday, 14 June 2026".
pub(crate) fn long_date(lang: Lang, day: NaiveDate) -> String {
    let weekday = day.weekday().num_days_from_monday() as usize;
    match lang {
        Lang::De => format!(
            "{}, {}. {} {}",
            WEEKDAYS_DE[weekday],
            day.day(),
            month_name(lang, day.month()),
            day.year()
        ),
        Lang::En => format!(
            "{}, {} {} {}",
            WEEKDAYS_EN[weekday],
            day.day(),
            month_name(lang, day.month()),
            day.year()
        ),
    }
}

/// "1,2 MB": German decimal comma in both languages' numbers is wrong for English.
/// A section of a paper as HTML: the text escaped first, then only the formatting authors
/// type is turned into tags: blank lines part paragraphs, lines starting with "- " form a
/// list, "1. " a numbered list, `**bold**` and a single line break stay. No other markup
/// can come through, so no script reaches a page.
pub(crate) fn formatted(text: &str) -> String {
    fn escape(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    }
    fn inline(s: &str) -> String {
        let escaped = escape(s);
        let mut out = String::new();
        let mut parts = escaped.split("**");
        out.push_str(parts.next().unwrap_or_default());
        let rest: Vec<&str> = parts.collect();
        // Pairs of `**` make bold; an unpaired one stays as typed.
        for (i, part) in rest.iter().enumerate() {
            if i % 2 == 0 && i + 1 < rest.len() {
                out.push_str("<strong>");
                out.push_str(part);
                out.push_str("</strong>");
            } else if i % 2 == 0 {
                out.push_str("**");
                out.push_str(part);
            } else {
                out.push_str(part);
            }
        }
        out
    }
    let numbered = |l: &str| {
        l.split_once(". ")
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    let mut html = String::new();
    for block in text.replace("\r\n", "\n").split("\n\n") {
        let lines: Vec<&str> = block
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.trim().is_empty())
            .collect();
        if lines.is_empty() {
            continue;
        }
        if lines.iter().all(|l| l.starts_with("- ")) {
            html.push_str("<ul>");
            for l in &lines {
                html.push_str(&format!("<li>{}</li>", inline(&l[2..])));
            }
            html.push_str("</ul>");
        } else if lines.iter().all(|l| numbered(l)) {
            html.push_str("<ol>");
            for l in &lines {
                let (_, item) = l.split_once(". ").unwrap_or_default();
                html.push_str(&format!("<li>{}</li>", inline(item)));
            }
            html.push_str("</ol>");
        } else {
            let body: Vec<String> = lines.iter().map(|l| inline(l)).collect();
            html.push_str(&format!("<p>{}</p>", body.join("<br>")));
        }
    }
    html
}

fn file_size(lang: Lang, bytes: i64) -> String {
    let (value, unit) = match bytes {
        b if b >= 1 << 20 => (b as f64 / (1 << 20) as f64, "MB"),
        b if b >= 1 << 10 => (b as f64 / (1 << 10) as f64, "KB"),
        b => return format!("{b} B"),
    };
    let text = format!("{value:.1}");
    match lang {
        Lang::De => format!("{} {unit}", text.replace('.', ",")),
        Lang::En => format!("{text} {unit}"),
    }
}

impl View {
    pub(crate) fn new(words: Arc<Translations>) -> View {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name}: {e}"));
        }
        env.add_function(
            "t",
            move |state: &State, id: &str, kwargs: Kwargs| -> Result<String, Error> {
                let mut args = Vec::new();
                for key in kwargs.args() {
                    let value: Value = kwargs.get(key)?;
                    args.push((key, value.to_string()));
                }
                Ok(words.text(lang(state), id, &args))
            },
        );
        env.add_function(
            "link",
            |state: &State, kind: &str, id: Option<Value>| -> Result<Value, Error> {
                let base = state
                    .lookup("base")
                    .and_then(|b| b.as_str().and_then(TenantBase::from_canonical))
                    .ok_or_else(|| invalid("no tenant base in the context"))?;
                let id = id.map(|v| v.to_string());
                let url = match kind {
                    "file" => base.file_access(id.as_deref().unwrap_or_default()),
                    "download" => base.file_download(id.as_deref().unwrap_or_default()),
                    "packet" => base.meeting_packet(id.as_deref().unwrap_or_default()),
                    "login" => base.join("auth/login"),
                    "logout" => base.join("auth/logout"),
                    "language" => base.join("sprache"),
                    _ => base.page(
                        Page::named(kind, id.as_deref())
                            .ok_or_else(|| invalid(format!("no page `{kind}`")))?,
                    ),
                };
                // The path is percent-encoded by `url`; only `&` and `'` remain to escape for an
                // attribute, so the template need not escape (and mangle) the slashes.
                Ok(Value::from_safe_string(
                    url.path().replace('&', "&amp;").replace('\'', "&#39;"),
                ))
            },
        );
        env.add_filter("date", |value: &str| -> Result<String, Error> {
            Ok(day_of(value)?.format("%d.%m.%Y").to_string())
        });
        env.add_filter("isodate", |value: &str| -> Result<String, Error> {
            Ok(day_of(value)?.format("%Y-%m-%d").to_string())
        });
        env.add_filter("time", |value: &str| -> Result<String, Error> {
            Ok(berlin(value)?.format("%H:%M").to_string())
        });
        env.add_filter(
            "longdate",
            |state: &State, value: &str| -> Result<String, Error> {
                Ok(long_date(lang(state), day_of(value)?))
            },
        );
        // The kind of a file as people name it: its extension ("PDF", "DOCX").
        env.add_filter("ext", |name: &str| {
            name.rsplit_once('.')
                .map(|(_, e)| e.to_uppercase())
                .unwrap_or_default()
        });
        env.add_filter("formatted", |text: &str| {
            Value::from_safe_string(formatted(text))
        });
        // Text with blank lines between paragraphs as a list of paragraphs.
        env.add_filter("paragraphs", |text: &str| {
            text.split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        });
        env.add_filter("filesize", |state: &State, bytes: i64| {
            file_size(lang(state), bytes)
        });
        View { env }
    }

    pub(crate) fn render(
        &self,
        template: &str,
        context: &serde_json::Value,
    ) -> Result<String, Error> {
        self.env
            .get_template(template)?
            .render(Value::from_serialize(context))
    }
}

/// Today in Germany.
pub(crate) fn today() -> NaiveDate {
    Utc::now().with_timezone(&Berlin).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_text_keeps_its_formatting_and_nothing_else() {
        let html = formatted(
            "Der Rat **beschließt**:\n\n- den Neubau\n- die <script>alert(1)</script> Kosten\n\n1. erstens\n2. zweitens\nZeile & mehr",
        );
        assert_eq!(
            html,
            "<p>Der Rat <strong>beschließt</strong>:</p>\
             <ul><li>den Neubau</li><li>die &lt;script&gt;alert(1)&lt;/script&gt; Kosten</li></ul>\
             <p>1. erstens<br>2. zweitens<br>Zeile &amp; mehr</p>"
        );
        assert_eq!(
            formatted("1. eins\n2. zwei"),
            "<ol><li>eins</li><li>zwei</li></ol>"
        );
        assert_eq!(formatted("ein ** allein"), "<p>ein ** allein</p>");
        assert_eq!(
            formatted("<b onmouseover=x>"),
            "<p>&lt;b onmouseover=x&gt;</p>"
        );
    }

    #[test]
    fn dates_are_german_wall_time_on_both_sides_of_the_clock_change() {
        // 17:00 UTC on 28 March 2026 is 18:00 CET; 16:00 UTC on 30 March is 18:00 CEST.
        assert_eq!(
            berlin("2026-03-28T17:00:00Z")
                .unwrap()
                .format("%H:%M")
                .to_string(),
            "18:00"
        );
        assert_eq!(
            berlin("2026-03-30T16:00:00+00:00")
                .unwrap()
                .format("%H:%M")
                .to_string(),
            "18:00"
        );
        // Late on 31 December in UTC is already New Year's Day in Germany.
        assert_eq!(
            day_of("2026-12-31T23:30:00Z").unwrap().to_string(),
            "2027-01-01"
        );
        assert_eq!(
            long_date(Lang::De, NaiveDate::from_ymd_opt(2026, 6, 14).unwrap()),
            "Sonntag, 14. Juni 2026"
        );
        assert_eq!(file_size(Lang::De, 1_300_000), "1,2 MB");
    }
}

#[cfg(test)]
mod template_tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        let view = View::new(Arc::new(Translations::load()));
        for (name, _) in TEMPLATES {
            assert!(view.env.get_template(name).is_ok(), "{name}");
        }
    }
}
