//! What a file is, decided from its bytes (never from its name or the client's
//! `Content-Type`), and whether its name agrees.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The file types Plenum can accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    Pdf,
    Docx,
    Xlsx,
    Pptx,
    Odt,
    Ods,
    Txt,
    Png,
    Jpeg,
}

impl FileType {
    pub const ALL: [FileType; 9] = [
        FileType::Pdf,
        FileType::Docx,
        FileType::Xlsx,
        FileType::Pptx,
        FileType::Odt,
        FileType::Ods,
        FileType::Txt,
        FileType::Png,
        FileType::Jpeg,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Docx => "docx",
            FileType::Xlsx => "xlsx",
            FileType::Pptx => "pptx",
            FileType::Odt => "odt",
            FileType::Ods => "ods",
            FileType::Txt => "txt",
            FileType::Png => "png",
            FileType::Jpeg => "jpeg",
        }
    }

    pub fn mime_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            FileType::Odt => "application/vnd.oasis.opendocument.text",
            FileType::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            FileType::Txt => "text/plain; charset=utf-8",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
        }
    }

    /// The extensions a file of this type may carry (the first is the usual one).
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileType::Pdf => &["pdf"],
            FileType::Docx => &["docx"],
            FileType::Xlsx => &["xlsx"],
            FileType::Pptx => &["pptx"],
            FileType::Odt => &["odt"],
            FileType::Ods => &["ods"],
            FileType::Txt => &["txt", "text", "csv", "md"],
            FileType::Png => &["png"],
            FileType::Jpeg => &["jpg", "jpeg"],
        }
    }

    /// German words for error messages.
    pub fn label(self) -> &'static str {
        match self {
            FileType::Pdf => "PDF",
            FileType::Docx => "Word-Dokument (DOCX)",
            FileType::Xlsx => "Excel-Tabelle (XLSX)",
            FileType::Pptx => "PowerPoint-Präsentation (PPTX)",
            FileType::Odt => "OpenDocument-Text (ODT)",
            FileType::Ods => "OpenDocument-Tabelle (ODS)",
            FileType::Txt => "Textdatei",
            FileType::Png => "PNG-Bild",
            FileType::Jpeg => "JPEG-Bild",
        }
    }

    pub fn from_mime(mime: &str) -> Option<FileType> {
        let bare = mime.split(';').next().unwrap_or_default().trim();
        FileType::ALL
            .into_iter()
            .find(|t| t.mime_type().split(';').next() == Some(bare))
    }

    /// The type a file name's extension claims, if it names one we know.
    pub fn claimed_by(file_name: &str) -> Option<FileType> {
        let ext = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
        FileType::ALL
            .into_iter()
            .find(|t| t.extensions().contains(&ext.as_str()))
    }
}

impl FromStr for FileType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let lower = if lower == "jpg" { "jpeg".into() } else { lower };
        FileType::ALL
            .into_iter()
            .find(|t| t.name() == lower)
            .ok_or_else(|| {
                format!(
                    "unknown file type `{s}`; known are {}",
                    FileType::ALL.map(FileType::name).join(", ")
                )
            })
    }
}

/// What the first bytes say, before the whole file is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Known(FileType),
    /// A ZIP container: its directory (at the end) tells which office format it is.
    Zip,
    Unknown,
}

/// How many leading bytes [`sniff_prefix`] wants.
pub const PREFIX_BYTES: usize = 8192;

/// Looks at the first bytes of a file (up to [`PREFIX_BYTES`]); `complete` says whether
/// they are the whole file.
pub fn sniff_prefix(prefix: &[u8], complete: bool) -> Sniffed {
    if prefix.starts_with(b"%PDF-") {
        return Sniffed::Known(FileType::Pdf);
    }
    if prefix.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Known(FileType::Png);
    }
    if prefix.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Known(FileType::Jpeg);
    }
    if prefix.starts_with(b"PK\x03\x04") {
        return Sniffed::Zip;
    }
    if is_plain_text(prefix, complete) {
        return Sniffed::Known(FileType::Txt);
    }
    Sniffed::Unknown
}

/// UTF-8 (a BOM allowed) without NUL or other control characters than tab, line feed,
/// carriage return and form feed. A multi-byte character cut off at the end of an incomplete
/// prefix is fine.
fn is_plain_text(prefix: &[u8], complete: bool) -> bool {
    let body = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(e) if !complete && e.error_len().is_none() => {
            std::str::from_utf8(&body[..e.valid_up_to()]).expect("valid up to here")
        }
        Err(_) => return false,
    };
    !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'))
}

/// Decides an office format from the names in a ZIP's central directory.
pub fn office_type(names: &[String], mimetype_entry: Option<&str>) -> Option<FileType> {
    match mimetype_entry.map(str::trim) {
        Some("application/vnd.oasis.opendocument.text") => return Some(FileType::Odt),
        Some("application/vnd.oasis.opendocument.spreadsheet") => return Some(FileType::Ods),
        _ => {}
    }
    if !names.iter().any(|n| n == "[Content_Types].xml") {
        return None;
    }
    let has = |name: &str| names.iter().any(|n| n == name);
    if has("word/document.xml") {
        Some(FileType::Docx)
    } else if has("xl/workbook.xml") {
        Some(FileType::Xlsx)
    } else if has("ppt/presentation.xml") {
        Some(FileType::Pptx)
    } else {
        None
    }
}

/// The most bytes of a ZIP's tail that [`zip_directory`] reads: the end record plus a
/// directory big enough for any real office document.
pub const ZIP_TAIL_BYTES: u64 = 4 * 1024 * 1024;

/// The entry names of a ZIP, read from `tail` (the last bytes of the file, `tail_start` its
/// offset in the file). `None` when the directory is not in the tail or is malformed.
pub fn zip_directory(tail: &[u8], tail_start: u64) -> Option<Vec<String>> {
    const EOCD: &[u8] = b"PK\x05\x06";
    const CENTRAL: &[u8] = b"PK\x01\x02";
    // The end record is 22 bytes plus a comment of at most 65,535.
    let search_from = tail.len().saturating_sub(22 + 65_535);
    let eocd = tail[search_from..]
        .windows(4)
        .rposition(|w| w == EOCD)
        .map(|p| p + search_from)?;
    let rec = tail.get(eocd..eocd + 22)?;
    let entries = u16::from_le_bytes([rec[10], rec[11]]) as usize;
    let dir_size = u32::from_le_bytes([rec[12], rec[13], rec[14], rec[15]]) as u64;
    let dir_offset = u32::from_le_bytes([rec[16], rec[17], rec[18], rec[19]]) as u64;
    let start = usize::try_from(dir_offset.checked_sub(tail_start)?).ok()?;
    let dir = tail.get(start..start.checked_add(dir_size as usize)?)?;
    let mut names = Vec::with_capacity(entries);
    let mut pos = 0usize;
    for _ in 0..entries {
        let head = dir.get(pos..pos + 46)?;
        if &head[..4] != CENTRAL {
            return None;
        }
        let name_len = u16::from_le_bytes([head[28], head[29]]) as usize;
        let extra_len = u16::from_le_bytes([head[30], head[31]]) as usize;
        let comment_len = u16::from_le_bytes([head[32], head[33]]) as usize;
        let name = dir.get(pos + 46..pos + 46 + name_len)?;
        names.push(String::from_utf8_lossy(name).into_owned());
        pos += 46 + name_len + extra_len + comment_len;
    }
    Some(names)
}

/// The content of an ODF `mimetype` entry, which the format requires to be first and stored
/// uncompressed, so it is readable from the first bytes.
pub fn odf_mimetype(prefix: &[u8]) -> Option<&str> {
    let name_len = u16::from_le_bytes([*prefix.get(26)?, *prefix.get(27)?]) as usize;
    let extra_len = u16::from_le_bytes([*prefix.get(28)?, *prefix.get(29)?]) as usize;
    if prefix.get(30..30 + name_len)? != b"mimetype" {
        return None;
    }
    let size = u32::from_le_bytes(prefix.get(18..22)?.try_into().ok()?) as usize;
    let start = 30 + name_len + extra_len;
    std::str::from_utf8(prefix.get(start..start + size.min(200))?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers_decide() {
        assert_eq!(
            sniff_prefix(b"%PDF-1.7\n", false),
            Sniffed::Known(FileType::Pdf)
        );
        assert_eq!(
            sniff_prefix(b"\x89PNG\r\n\x1a\n....", false),
            Sniffed::Known(FileType::Png)
        );
        assert_eq!(
            sniff_prefix(&[0xFF, 0xD8, 0xFF, 0xE0], false),
            Sniffed::Known(FileType::Jpeg)
        );
        assert_eq!(sniff_prefix(b"PK\x03\x04rest", false), Sniffed::Zip);
        assert_eq!(
            sniff_prefix("Sitzung am Dienstag – Tagesordnung\n".as_bytes(), true),
            Sniffed::Known(FileType::Txt)
        );
        assert_eq!(sniff_prefix(b"MZ\x90\x00\x03\x00", true), Sniffed::Unknown);
        assert_eq!(
            sniff_prefix(b"text with a \x00 NUL", true),
            Sniffed::Unknown
        );
        assert_eq!(sniff_prefix(b"", true), Sniffed::Unknown);
    }

    #[test]
    fn a_cut_multibyte_character_is_text_only_in_a_prefix() {
        let cut = &"Grüße".as_bytes()[..3];
        assert_eq!(sniff_prefix(cut, false), Sniffed::Known(FileType::Txt));
        assert_eq!(sniff_prefix(cut, true), Sniffed::Unknown);
    }

    #[test]
    fn names_claim_types() {
        assert_eq!(FileType::claimed_by("Vorlage.PDF"), Some(FileType::Pdf));
        assert_eq!(FileType::claimed_by("foto.jpg"), Some(FileType::Jpeg));
        assert_eq!(FileType::claimed_by("ohne"), None);
        assert_eq!(FileType::claimed_by("x.exe"), None);
        assert_eq!("JPG".parse::<FileType>(), Ok(FileType::Jpeg));
        assert!("exe".parse::<FileType>().is_err());
    }
}
