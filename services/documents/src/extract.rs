//! Text extraction out of the request path: an outbox consumer picks up each stored version
//! and extracts its text with a time limit and an output limit, so that a hostile file
//! cannot stall the service. PDF through poppler's `pdftotext`, DOCX and ODT from their XML,
//! plain text as it is.

use crate::keys::ObjectKey;
use crate::service::DocumentsService;
use crate::sniff::FileType;
use crate::store;
use futures_util::TryStreamExt;
use plenum_errors::ServiceError;
use plenum_events::{Consumer, Envelope, NewEvent};
use plenum_tenancy::{TenantTx, db_error};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The event the documents service writes when a version's bytes are in place.
pub const STORED_EVENT: &str = "file.version_stored";
/// The event written when a version's text is known (search indexes it).
pub const EXTRACTED_EVENT: &str = "file.text_extracted";

#[derive(Debug, Clone)]
pub struct ExtractLimits {
    /// Longest an extraction may run.
    pub timeout: Duration,
    /// Most characters of text kept per file; the rest is cut off.
    pub max_chars: usize,
    /// Most bytes of XML read from inside a DOCX or ODT (a ZIP bomb stops here).
    pub max_xml_bytes: u64,
    /// The `pdftotext` program.
    pub pdftotext: PathBuf,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        ExtractLimits {
            timeout: Duration::from_secs(30),
            max_chars: 2_000_000,
            max_xml_bytes: 64 * 1024 * 1024,
            pdftotext: PathBuf::from("pdftotext"),
        }
    }
}

/// The result of one extraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extracted {
    Text {
        text: String,
        truncated: bool,
    },
    /// The type has no text we extract (images, spreadsheets, slides).
    Unsupported,
    /// The file is broken or took too long; the message says which.
    Failed(String),
}

/// Extracts the text of the file at `path`, of type `file_type`.
pub async fn extract_file(path: &Path, file_type: FileType, limits: &ExtractLimits) -> Extracted {
    let work = async {
        match file_type {
            FileType::Pdf => pdf_text(path, limits).await,
            FileType::Docx => xml_text(path, "word/document.xml", XmlFlavour::Docx, limits).await,
            FileType::Odt => xml_text(path, "content.xml", XmlFlavour::Odf, limits).await,
            FileType::Txt => plain_text(path, limits).await,
            _ => Extracted::Unsupported,
        }
    };
    match tokio::time::timeout(limits.timeout, work).await {
        Ok(done) => done,
        Err(_) => Extracted::Failed(format!(
            "text extraction took longer than {} s and was stopped",
            limits.timeout.as_secs()
        )),
    }
}

/// Cuts `text` to `max` characters.
fn bounded(mut text: String, max: usize) -> (String, bool) {
    match text.char_indices().nth(max) {
        Some((cut, _)) => {
            text.truncate(cut);
            (text, true)
        }
        None => (text, false),
    }
}

async fn pdf_text(path: &Path, limits: &ExtractLimits) -> Extracted {
    let child = tokio::process::Command::new(&limits.pdftotext)
        .args(["-q", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        // The timeout drops the future; the process must die with it.
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return Extracted::Failed(format!("pdftotext could not start: {e}")),
    };
    let mut stdout = child.stdout.take().expect("piped");
    // UTF-8 has at most 4 bytes a character; read no more than the limit can use.
    let byte_limit = (limits.max_chars as u64).saturating_mul(4) + 4;
    let mut out = Vec::new();
    if let Err(e) = (&mut stdout).take(byte_limit).read_to_end(&mut out).await {
        return Extracted::Failed(format!("reading pdftotext's output: {e}"));
    }
    let cut_short = out.len() as u64 >= byte_limit;
    if cut_short {
        let _ = child.kill().await;
    }
    let status = child.wait().await;
    if !cut_short && !status.as_ref().is_ok_and(|s| s.success()) {
        return Extracted::Failed("the PDF is damaged or encrypted (pdftotext failed)".into());
    }
    let (text, truncated) = bounded(String::from_utf8_lossy(&out).into_owned(), limits.max_chars);
    Extracted::Text {
        text: tidy(&text),
        truncated: truncated || cut_short,
    }
}

/// Drops the form feeds pdftotext puts between pages and trailing blanks.
fn tidy(text: &str) -> String {
    text.replace('\x0c', "\n").trim_end().to_owned()
}

async fn plain_text(path: &Path, limits: &ExtractLimits) -> Extracted {
    let file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) => return Extracted::Failed(e.to_string()),
    };
    let mut bytes = Vec::new();
    let limit = (limits.max_chars as u64).saturating_mul(4);
    if let Err(e) = file.take(limit).read_to_end(&mut bytes).await {
        return Extracted::Failed(e.to_string());
    }
    let text = String::from_utf8_lossy(&bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
    let (text, truncated) = bounded(text, limits.max_chars);
    Extracted::Text { text, truncated }
}

#[derive(Debug, Clone, Copy)]
enum XmlFlavour {
    /// WordprocessingML: text in `w:t`, paragraphs `w:p`, tabs `w:tab`, breaks `w:br`.
    Docx,
    /// OpenDocument: text anywhere in the body, paragraphs `text:p`/`text:h`, spaces `text:s`.
    Odf,
}

async fn xml_text(
    path: &Path,
    entry: &str,
    flavour: XmlFlavour,
    limits: &ExtractLimits,
) -> Extracted {
    let (path, entry, max_xml, max_chars) = (
        path.to_owned(),
        entry.to_owned(),
        limits.max_xml_bytes,
        limits.max_chars,
    );
    let work = tokio::task::spawn_blocking(move || -> Result<(String, bool), String> {
        let file = std::fs::File::open(&path).map_err(|e| e.to_string())?;
        let mut zip = zip::ZipArchive::new(file)
            .map_err(|e| format!("the document is not a readable ZIP archive: {e}"))?;
        let part = zip
            .by_name(&entry)
            .map_err(|_| format!("the document has no {entry}"))?;
        // Reading stops at the limit, however far the entry claims to inflate.
        let mut xml = Vec::new();
        part.take(max_xml)
            .read_to_end(&mut xml)
            .map_err(|e| format!("the document's {entry} is damaged: {e}"))?;
        let cut_short = xml.len() as u64 >= max_xml;
        let (text, truncated) = bounded(xml_to_text(&xml, flavour), max_chars);
        Ok((text, truncated || cut_short))
    });
    match work.await {
        Ok(Ok((text, truncated))) => Extracted::Text { text, truncated },
        Ok(Err(msg)) => Extracted::Failed(msg),
        Err(e) => Extracted::Failed(format!("extraction crashed: {e}")),
    }
}

/// The text of an office XML part: a small scanner rather than a parser, because all it needs
/// is the character data and a few element names.
fn xml_to_text(xml: &[u8], flavour: XmlFlavour) -> String {
    let xml = String::from_utf8_lossy(xml);
    let mut out = String::new();
    let mut in_text = false;
    let mut rest: &str = &xml;
    while let Some(lt) = rest.find('<') {
        let chars = &rest[..lt];
        let take = match flavour {
            XmlFlavour::Docx => in_text,
            XmlFlavour::Odf => true,
        };
        if take && !chars.is_empty() {
            unescape_into(chars, &mut out);
        }
        let Some(gt) = rest[lt..].find('>') else {
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        rest = &rest[lt + gt + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        let closing = tag.starts_with('/');
        let self_closing = tag.ends_with('/');
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or_default();
        let local = name.rsplit(':').next().unwrap_or(name);
        match (flavour, local) {
            (XmlFlavour::Docx, "t") => in_text = !closing && !self_closing,
            (XmlFlavour::Docx, "p") | (XmlFlavour::Odf, "p" | "h") if closing => out.push('\n'),
            (_, "tab") => out.push('\t'),
            (XmlFlavour::Docx, "br" | "cr") | (XmlFlavour::Odf, "line-break") => out.push('\n'),
            (XmlFlavour::Odf, "s") => out.push(' '),
            _ => {}
        }
    }
    out.trim_end().to_owned()
}

fn unescape_into(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(semi) = after.find(';').filter(|&i| i <= 10) else {
            out.push('&');
            rest = after;
            continue;
        };
        let entity = &after[..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => out.push(c),
            None => {
                out.push('&');
                out.push_str(entity);
                out.push(';');
            }
        }
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
}

/// The outbox consumer that extracts the text of every stored version.
pub struct Extractor {
    service: DocumentsService,
    work_dir: PathBuf,
}

impl Extractor {
    pub fn new(service: DocumentsService, work_dir: PathBuf) -> Self {
        Extractor { service, work_dir }
    }

    /// Copies the object to a private temporary file that extraction tools can read.
    async fn spool(&self, key: &ObjectKey) -> Result<PathBuf, ServiceError> {
        tokio::fs::create_dir_all(&self.work_dir)
            .await
            .map_err(|e| ServiceError::internal(format!("creating the work directory: {e}")))?;
        let path = self
            .work_dir
            .join(format!("extract-{}", uuid::Uuid::new_v4()));
        let mut file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| ServiceError::internal(format!("creating {}: {e}", path.display())))?;
        let mut stream = self.service.storage.read(key, None).await?;
        while let Some(chunk) = stream
            .try_next()
            .await
            .map_err(|e| ServiceError::unavailable(format!("reading {key}: {e}")))?
        {
            file.write_all(&chunk)
                .await
                .map_err(|e| ServiceError::internal(format!("writing {}: {e}", path.display())))?;
        }
        file.flush()
            .await
            .map_err(|e| ServiceError::internal(e.to_string()))?;
        Ok(path)
    }
}

#[async_trait::async_trait]
impl Consumer for Extractor {
    fn name(&self) -> &'static str {
        "documents.extract"
    }

    async fn handle(&self, tx: &TenantTx, event: &Envelope) -> Result<(), ServiceError> {
        if event.event_type != STORED_EVENT {
            return Ok(());
        }
        let Some(version) = event.payload.get("version").and_then(|v| v.as_i64()) else {
            return Ok(());
        };
        let version = version as i32;
        let Some(row) = store::version(tx, event.object_id, version).await? else {
            // Taken back since; nothing to extract.
            return Ok(());
        };
        match store::text(tx, event.object_id, version).await? {
            Some(t) if t.state != "pending" => return Ok(()),
            _ => {}
        }
        let file_type = row.version.file_type;
        let result = if matches!(
            file_type,
            FileType::Pdf | FileType::Docx | FileType::Odt | FileType::Txt
        ) {
            let path = self.spool(&row.key).await?;
            let result = extract_file(&path, file_type, &self.service.options.extract).await;
            let _ = tokio::fs::remove_file(&path).await;
            result
        } else {
            Extracted::Unsupported
        };
        let (state, body, error, truncated) = match result {
            Extracted::Text { text, truncated } => ("done", Some(text), None, truncated),
            Extracted::Unsupported => ("unsupported", None, None, false),
            Extracted::Failed(msg) => {
                tracing::info!(file = %event.object_id, version, error = %msg, "text extraction failed");
                ("failed", None, Some(msg), false)
            }
        };
        store::set_text(tx, event.object_id, version, state, body, error, truncated).await?;
        plenum_events::append(
            tx,
            NewEvent::new(
                EXTRACTED_EVENT,
                "file",
                event.object_id,
                serde_json::json!({ "version": version, "state": state }),
            ),
        )
        .await
        .map_err(db_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docx_xml_keeps_text_paragraphs_and_entities() {
        let xml = br#"<?xml version="1.0"?><w:document><w:body>
            <w:p><w:r><w:t>Sachverhalt:</w:t></w:r><w:r><w:tab/><w:t xml:space="preserve">B&amp;B &lt;Gewerbe&gt; </w:t></w:r></w:p>
            <w:p><w:r><w:instrText>PAGE</w:instrText><w:t>Stra&#223;e &#x20AC;</w:t></w:r></w:p>
            </w:body></w:document>"#;
        assert_eq!(
            xml_to_text(xml, XmlFlavour::Docx),
            "Sachverhalt:\tB&B <Gewerbe> \nStraße €"
        );
    }

    #[test]
    fn odf_xml_keeps_headings_and_spaces() {
        let xml = br#"<office:document-content><office:body><office:text>
            <text:h text:outline-level="1">Beschluss</text:h><text:p>Der Rat<text:s/>beschlie&#223;t.</text:p>
            </office:text></office:body></office:document-content>"#;
        let text = xml_to_text(xml, XmlFlavour::Odf);
        assert!(text.contains("Beschluss\n"), "{text:?}");
        assert!(text.ends_with("Der Rat beschließt."), "{text:?}");
    }

    #[test]
    fn text_is_cut_at_the_limit_on_a_character_boundary() {
        assert_eq!(bounded("äöü".into(), 2), ("äö".into(), true));
        assert_eq!(bounded("äöü".into(), 3), ("äöü".into(), false));
    }
}
