//! Original file names: kept as metadata only, cleaned so that they are safe in a
//! `Content-Disposition` header and in a download dialogue.

/// Most characters a stored file name keeps.
pub const MAX_NAME_CHARS: usize = 200;

/// The last path component of `raw`, without control characters, quotes or characters that
/// file systems refuse, trimmed; `fallback` (e.g. `datei.pdf`) when nothing is left.
pub fn sanitize(raw: &str, fallback: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .map(|c| match c {
            c if c.is_control() => ' ',
            '"' | '<' | '>' | ':' | '|' | '?' | '*' | ';' => '_',
            // Bidirectional overrides make "rechnung<U+202E>fdp.exe" look like "rechnungexe.pdf".
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' => '_',
            c => c,
        })
        .collect();
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = collapsed.trim_start_matches('.').trim();
    let name = shorten(trimmed);
    if name.is_empty() || name == "." || name == ".." {
        fallback.to_owned()
    } else {
        name
    }
}

/// Shortens to [`MAX_NAME_CHARS`], keeping the extension.
fn shorten(name: &str) -> String {
    if name.chars().count() <= MAX_NAME_CHARS {
        return name.to_owned();
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if ext.len() <= 10 => (stem, Some(ext)),
        _ => (name, None),
    };
    let keep = MAX_NAME_CHARS - ext.map_or(0, |e| e.chars().count() + 1);
    let stem: String = stem.chars().take(keep).collect();
    match ext {
        Some(ext) => format!("{}.{ext}", stem.trim_end()),
        None => stem,
    }
}

/// The display name of a file: its name without extension.
pub fn stem(file_name: &str) -> &str {
    match file_name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => file_name,
    }
}

/// `attachment` or `inline` with the name as an ASCII fallback and as RFC 8187 UTF-8.
pub fn content_disposition(attachment: bool, file_name: &str) -> String {
    let kind = if attachment { "attachment" } else { "inline" };
    let ascii: String = file_name
        .chars()
        .map(|c| match c {
            'ä' => "ae".into(),
            'ö' => "oe".into(),
            'ü' => "ue".into(),
            'Ä' => "Ae".into(),
            'Ö' => "Oe".into(),
            'Ü' => "Ue".into(),
            'ß' => "ss".into(),
            c if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' => c.to_string(),
            ' ' => " ".into(),
            _ => "_".into(),
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_control_characters_are_stripped() {
        assert_eq!(sanitize("../../etc/passwd", "datei"), "passwd");
        assert_eq!(
            sanitize("C:\\Users\\x\\Vorlage 1.pdf", "datei"),
            "Vorlage 1.pdf"
        );
        assert_eq!(
            sanitize("a\r\nContent-Type: evil.pdf", "datei"),
            "a Content-Type_ evil.pdf"
        );
        assert_eq!(sanitize("..", "datei.pdf"), "datei.pdf");
        assert_eq!(sanitize("   ", "datei.pdf"), "datei.pdf");
        assert_eq!(sanitize(".hidden.pdf", "datei.pdf"), "hidden.pdf");
        assert_eq!(sanitize("rechnung\u{202E}fdp.exe", "d"), "rechnung_fdp.exe");
        assert_eq!(sanitize("say \"hi\".txt", "d"), "say _hi_.txt");
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.pdf", "ä".repeat(500));
        let short = sanitize(&long, "d");
        assert_eq!(short.chars().count(), MAX_NAME_CHARS);
        assert!(short.ends_with(".pdf"));
    }

    #[test]
    fn disposition_has_ascii_fallback_and_utf8() {
        assert_eq!(
            content_disposition(true, "Änderung Straße.pdf"),
            "attachment; filename=\"Aenderung Strasse.pdf\"; \
             filename*=UTF-8''%C3%84nderung%20Stra%C3%9Fe.pdf"
        );
        assert!(content_disposition(false, "a.pdf").starts_with("inline; "));
    }
}
