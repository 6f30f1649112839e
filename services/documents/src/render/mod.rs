//! PDF documents from council data, rendered with Typst as a library and exported as PDF/UA-1
//! (tagged, with title and language); approved minutes also as PDF/A-2a for archiving.

mod data;
pub use plenum_german as german;
mod world;

pub use data::{DocumentKind, Letterhead, PacketSection, build, packet};

use std::collections::HashMap;

/// The templates, each after the shared prelude.
const COMMON: &str = include_str!("templates/common.typ");

fn template(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Paper => include_str!("templates/paper.typ"),
        DocumentKind::Invitation => include_str!("templates/invitation.typ"),
        DocumentKind::Minutes => include_str!("templates/minutes.typ"),
        DocumentKind::Extract => include_str!("templates/extract.typ"),
    }
}

/// An image the document shows (the coat of arms), by the path the data names it with.
pub struct Image {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The meeting packet: the invitation, then every section with its PDFs page by page.
const PACKET: &str = include_str!("templates/packet.typ");

/// How many pages a PDF has, or `None` if Typst cannot read it (it is then only linked).
pub fn pdf_pages(bytes: &[u8]) -> Option<usize> {
    // The same reader Typst embeds PDF pages with, so a file it counts is one it can embed.
    hayro_syntax::Pdf::new(std::sync::Arc::new(bytes.to_vec()))
        .ok()
        .map(|pdf| pdf.pages().len())
        .filter(|n| *n > 0)
}

/// Compiles the meeting packet (the invitation's data plus `sections`) into one PDF.
///
/// The packet is tagged, but it does not claim PDF/UA-1: the third-party PDFs it passes
/// through are embedded as they are, and their pages carry no tags Plenum could vouch for
/// (Typst refuses embedded PDFs under PDF/UA for that reason).
pub fn packet_pdf(
    data: &serde_json::Value,
    attachments: Vec<Image>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<u8>, String> {
    compile(
        format!("{COMMON}\n{}\n{PACKET}", template(DocumentKind::Invitation)),
        data,
        attachments,
        Conformance::TaggedOnly,
        now,
    )
}

/// Which standards a PDF claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conformance {
    /// PDF/UA-1.
    Accessible,
    /// PDF/UA-1 and PDF/A-2a.
    AccessibleArchival,
    /// Tagged, no standard claimed.
    TaggedOnly,
}

/// Compiles `kind` with `data` into a PDF. CPU-bound: run it on a blocking thread.
pub fn pdf(
    kind: DocumentKind,
    data: &serde_json::Value,
    images: Vec<Image>,
    archival: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<u8>, String> {
    let conformance = if archival {
        Conformance::AccessibleArchival
    } else {
        Conformance::Accessible
    };
    compile(
        format!("{COMMON}\n{}", template(kind)),
        data,
        images,
        conformance,
        now,
    )
}

fn compile(
    source: String,
    data: &serde_json::Value,
    images: Vec<Image>,
    conformance: Conformance,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<u8>, String> {
    use chrono::{Datelike, Timelike};
    let mut files = HashMap::new();
    files.insert(
        "/data.json".to_owned(),
        serde_json::to_vec(data).map_err(|e| e.to_string())?,
    );
    for image in images {
        files.insert(image.path, image.bytes);
    }
    let world = world::DocWorld::new(source, files, german::local_day(now));
    let compiled = typst::compile::<typst_layout::PagedDocument>(&world);
    let document = compiled.output.map_err(|errors| describe(&errors))?;
    let standards = match conformance {
        Conformance::Accessible => vec![typst_pdf::PdfStandard::Ua_1],
        Conformance::AccessibleArchival => {
            vec![typst_pdf::PdfStandard::Ua_1, typst_pdf::PdfStandard::A_2a]
        }
        Conformance::TaggedOnly => Vec::new(),
    };
    // The creation date in the metadata (PDF/A requires one).
    let stamp = typst::foundations::Datetime::from_ymd_hms(
        now.year(),
        now.month() as u8,
        now.day() as u8,
        now.hour() as u8,
        now.minute() as u8,
        now.second() as u8,
    )
    .map(typst_pdf::Timestamp::new_utc);
    let options = typst_pdf::PdfOptions {
        timestamp: stamp,
        standards: typst_pdf::PdfStandards::new(&standards)
            .map_err(|e| format!("PDF standards: {e:?}"))?,
        ..Default::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|errors| describe(&errors))
}

fn describe(errors: &[typst::diag::SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| {
            let hints: Vec<&str> = e.hints.iter().map(|h| h.v.as_str()).collect();
            if hints.is_empty() {
                e.message.to_string()
            } else {
                format!("{} ({})", e.message, hints.join("; "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(super) fn minutes_data() -> serde_json::Value {
        json!({
            "letterhead": { "name": "Gemeinde Test", "address": ["Rathausplatz 1"], "arms": null },
            "title": "Niederschrift Rat (R/2026/1)",
            "heading": "Niederschrift über die Sitzung des Gremiums Rat",
            "meeting_name": "Sitzung", "number": "R/2026/1",
            "when": "Dienstag, 10. März 2026, 17:00 Uhr", "place": "Ratssaal",
            "status": "genehmigt", "attendance": ["Anna A", "Bernd B"],
            "items": [{ "number": "Ö 1", "title": "Eröffnung", "reference": "", "result": "beschlossen",
                        "votes": "Ja 3, Nein 0, Enthaltung 0", "resolution": ["Der Rat beschließt."] }],
        })
    }

    #[test]
    fn minutes_render_as_pdf_ua_and_pdf_a() {
        let today = chrono::Utc::now();
        for archival in [false, true] {
            let pdf = pdf(
                DocumentKind::Minutes,
                &minutes_data(),
                Vec::new(),
                archival,
                today,
            )
            .unwrap_or_else(|e| panic!("archival {archival}: {e}"));
            assert!(pdf.starts_with(b"%PDF-"));
        }
    }
}

#[cfg(test)]
mod packet_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_packet_embeds_attached_pdf_pages() {
        // Any PDF will do as an attachment: one that Typst made.
        let attachment = pdf(
            DocumentKind::Minutes,
            &super::tests::minutes_data(),
            Vec::new(),
            false,
            chrono::Utc::now(),
        )
        .unwrap();
        assert_eq!(pdf_pages(&attachment), Some(1));
        assert_eq!(pdf_pages(b"%PDF-1.7 broken"), None);
        let data = json!({
            "letterhead": { "name": "Gemeinde Test", "address": [], "arms": null },
            "title": "Sitzungsunterlagen R-2026-1",
            "heading": "Einladung", "addressees": ["An die Mitglieder"], "issued": "heute",
            "salutation": "Hallo", "meeting_name": "Sitzung", "number": "R/2026/1",
            "when": "Dienstag, 10. März 2026, 17:00 Uhr", "place": "Ratssaal",
            "public_items": [{ "number": "Ö 1", "title": "Punkt", "reference": "26-0001" }],
            "nonpublic_items": [], "show_nonpublic": false, "signer": "Vorsitz",
            "sections": [{
                "title": "Ö 1 Punkt (Vorlage 26-0001)",
                "pdfs": [{ "name": "Anlage", "path": "/anlage/a.pdf", "pages": 1 }],
                "links": [{ "name": "Tabelle.xlsx", "url": "https://example.org/t/x/files/1" }],
            }],
        });
        let pdf = packet_pdf(
            &data,
            vec![Image {
                path: "/anlage/a.pdf".into(),
                bytes: attachment,
            }],
            chrono::Utc::now(),
        )
        .unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
