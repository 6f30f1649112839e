//! Atom (RFC 4287) feeds. Text is escaped and stripped of characters XML 1.0 forbids, so a
//! title with markup or a stray control character never breaks a reader.

use chrono::{DateTime, SecondsFormat, Utc};

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
    pub summary: Option<String>,
    pub categories: Vec<String>,
}

/// Escapes for XML text and attribute values.
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
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

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

    #[test]
    fn markup_and_control_characters_cannot_break_the_feed() {
        let now = Utc::now();
        let feed = Feed {
            id: "https://x.de/t/a/vorlagen.atom".into(),
            title: "Neue Vorlagen – A & B".into(),
            alternate: "https://x.de/t/a/".into(),
            self_link: "https://x.de/t/a/vorlagen.atom".into(),
            updated: now,
            author: "Gemeinde".into(),
        };
        let entry = Entry {
            id: "urn:uuid:1".into(),
            title: "<script>alert(1)</script>\u{1}".into(),
            link: "https://x.de/t/a/vorlagen/1?a=1&b=2".into(),
            updated: now,
            published: None,
            summary: Some("\"quoted\"".into()),
            categories: vec!["Beschlussvorlage".into()],
        };
        let xml = atom(&feed, &[entry]);
        assert!(xml.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"));
        assert!(xml.contains("href=\"https://x.de/t/a/vorlagen/1?a=1&amp;b=2\""));
        assert!(!xml.contains('\u{1}'));
        assert!(xml.contains("A &amp; B"));
    }
}
