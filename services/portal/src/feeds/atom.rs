//! Atom (RFC 4287) feeds. Text is escaped and stripped of characters XML 1.0 forbids, so a
//! title with markup or a stray control character never breaks a reader.

use chrono::{DateTime, SecondsFormat, Utc};

/// The feed itself; its `author` stands for every entry (RFC 4287 §4.1.1).
pub struct Feed {
    /// A permanent IRI; the feed's own URL.
    pub id: String,
    pub title: String,
    /// The page the feed belongs to.
    pub alternate: String,
    pub self_link: String,
    pub updated: DateTime<Utc>,
    pub author: String,
}

pub struct Entry {
    /// A permanent IRI, e.g. `urn:uuid:<id>`.
    pub id: String,
    pub title: String,
    pub link: String,
    pub updated: DateTime<Utc>,
    pub published: Option<DateTime<Utc>>,
    /// Plain text; an empty summary is left out.
    pub summary: Option<String>,
    pub categories: Vec<String>,
}

/// Escapes for XML text and (double- or single-quoted) attribute values. Drops what XML 1.0
/// cannot carry even as a character reference (C0 controls but tab, LF, CR; U+FFFE, U+FFFF)
/// and, with them, DEL and the C1 controls, which are legal but only ever garbage here.
fn xml(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// RFC 3339 in UTC, e.g. `2026-03-30T16:00:00Z`.
fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An Atom 1.0 document (German, `xml:lang="de"`) of `feed` with `entries` in the given order.
pub fn atom(feed: &Feed, entries: &[Entry]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"de\">\n");
    out.push_str(&format!("<id>{}</id>\n", xml(&feed.id)));
    out.push_str(&format!("<title>{}</title>\n", xml(&feed.title)));
    out.push_str(&format!("<updated>{}</updated>\n", time(feed.updated)));
    out.push_str(&format!(
        "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        xml(&feed.alternate)
    ));
    out.push_str(&format!(
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        xml(&feed.self_link)
    ));
    out.push_str(&format!(
        "<author><name>{}</name></author>\n",
        xml(&feed.author)
    ));
    out.push_str("<generator>Plenum</generator>\n");
    for e in entries {
        out.push_str("<entry>\n");
        out.push_str(&format!("<id>{}</id>\n", xml(&e.id)));
        out.push_str(&format!("<title>{}</title>\n", xml(&e.title)));
        out.push_str(&format!(
            "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml(&e.link)
        ));
        out.push_str(&format!("<updated>{}</updated>\n", time(e.updated)));
        if let Some(p) = e.published {
            out.push_str(&format!("<published>{}</published>\n", time(p)));
        }
        for c in &e.categories {
            out.push_str(&format!("<category term=\"{}\"/>\n", xml(c)));
        }
        if let Some(s) = e.summary.as_deref().filter(|s| !s.is_empty()) {
            out.push_str(&format!("<summary>{}</summary>\n", xml(s)));
        }
        out.push_str("</entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn markup_and_control_characters_cannot_break_the_feed() {
        let now = Utc.with_ymd_and_hms(2026, 3, 30, 16, 0, 0).unwrap();
        let feed = Feed {
            id: "https://x.de/t/a/vorlagen.atom".into(),
            title: "Neue Vorlagen – A & B".into(),
            alternate: "https://x.de/t/a/".into(),
            self_link: "https://x.de/t/a/vorlagen.atom".into(),
            updated: now,
            author: "Gemeinde \"Süd\"".into(),
        };
        let entry = Entry {
            id: "urn:uuid:1".into(),
            title: "<script>alert('x')</script>\u{1}\u{1b}\u{FFFF}".into(),
            link: "https://x.de/t/a/vorlagen/1?a=1&b=2".into(),
            updated: now,
            published: Some(now),
            summary: Some("Zeile 1\n\tZeile 2".into()),
            categories: vec!["Bau & \"Umwelt\"".into()],
        };
        let xml = atom(&feed, &[entry]);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns="));
        assert!(xml.contains("<title>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</title>"));
        assert!(xml.contains("href=\"https://x.de/t/a/vorlagen/1?a=1&amp;b=2\""));
        assert!(xml.contains("<category term=\"Bau &amp; &quot;Umwelt&quot;\"/>"));
        assert!(xml.contains("<name>Gemeinde &quot;Süd&quot;</name>"));
        assert!(xml.contains("<summary>Zeile 1\n\tZeile 2</summary>"));
        assert!(xml.contains("<updated>2026-03-30T16:00:00Z</updated>"));
        assert!(xml.contains("<published>2026-03-30T16:00:00Z</published>"));
        assert!(!xml.contains(['\u{1}', '\u{1b}', '\u{FFFF}']));
        assert!(xml.contains("A &amp; B"));
    }

    #[test]
    fn empty_summary_is_left_out() {
        let now = Utc::now();
        let e = |summary: Option<&str>| Entry {
            id: "urn:uuid:2".into(),
            title: "t".into(),
            link: "https://x.de/".into(),
            updated: now,
            published: None,
            summary: summary.map(Into::into),
            categories: vec![],
        };
        let feed = Feed {
            id: "i".into(),
            title: "t".into(),
            alternate: "a".into(),
            self_link: "s".into(),
            updated: now,
            author: "g".into(),
        };
        let xml = atom(&feed, &[e(Some("")), e(None)]);
        assert!(!xml.contains("<summary>") && !xml.contains("<published>"));
    }
}
