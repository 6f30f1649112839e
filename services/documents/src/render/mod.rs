//! PDF documents from council data, rendered with Typst as a library and exported as PDF/UA-1
//! (tagged, with title and language); approved minutes also as PDF/A-2a for archiving.

mod data;
pub mod german;
mod world;

pub use data::{DocumentKind, Letterhead, build};

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

/// Compiles `kind` with `data` into a PDF. CPU-bound: run it on a blocking thread.
pub fn pdf(
    kind: DocumentKind,
    data: &serde_json::Value,
    images: Vec<Image>,
    archival: bool,
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
    let source = format!("{COMMON}\n{}", template(kind));
    let world = world::DocWorld::new(source, files, german::local_day(now));
    let compiled = typst::compile::<typst_layout::PagedDocument>(&world);
    let document = compiled.output.map_err(|errors| describe(&errors))?;
    let mut standards = vec![typst_pdf::PdfStandard::Ua_1];
    if archival {
        standards.push(typst_pdf::PdfStandard::A_2a);
    }
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

    fn minutes_data() -> serde_json::Value {
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
