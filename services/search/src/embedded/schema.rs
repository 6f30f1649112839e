//! The fields of the embedded index and how a source becomes a document.

use super::analyzer::{self, EXACT, GERMAN, INFIX};
use crate::model::Hit;
use chrono::{DateTime, Datelike, Utc};
use plenum_tenants::council::IndexSource;
use plenum_tenants::council::model::Kind;
use serde::{Deserialize, Serialize};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, TantivyDocument, Term};
use uuid::Uuid;

pub const ID: &str = "id";
pub const TITLE: &str = "title";
/// The title's letter quadruples (`analyzer::infix`).
pub const TITLE_INFIX: &str = "title_infix";
pub const REFERENCE: &str = "reference";
pub const TEXT: &str = "text";
pub const ACCESS: &str = "access";
pub const FACETS: &str = "facets";
/// Seconds since the epoch; the sort key for "newest first".
pub const DATE: &str = "date";
/// What a hit shows beyond title and text, as JSON.
pub const META: &str = "meta";

pub fn schema() -> Schema {
    let mut builder = Schema::builder();
    builder.add_text_field(ID, STRING | STORED);
    let german = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(GERMAN)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    builder.add_text_field(TITLE, german.clone());
    builder.add_text_field(TEXT, german);
    builder.add_text_field(
        TITLE_INFIX,
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(INFIX)
                .set_index_option(IndexRecordOption::Basic),
        ),
    );
    builder.add_text_field(
        REFERENCE,
        TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(EXACT)
                    .set_index_option(IndexRecordOption::Basic),
            )
            .set_stored(),
    );
    builder.add_text_field(ACCESS, STRING);
    builder.add_facet_field(FACETS, FacetOptions::default());
    builder.add_i64_field(DATE, INDEXED | FAST);
    builder.add_text_field(META, STORED);
    builder.build()
}

pub fn register_analyzers(index: &Index) {
    index.tokenizers().register(GERMAN, analyzer::german());
    index.tokenizers().register(EXACT, analyzer::exact());
    index.tokenizers().register(INFIX, analyzer::infix());
}

/// Stored with each document for showing a hit.
#[derive(Serialize, Deserialize)]
struct Meta {
    kind: Kind,
    paper_type: Option<String>,
    result: Option<String>,
    date: Option<DateTime<Utc>>,
    context: Option<String>,
    parent: Option<(Kind, Uuid)>,
}

#[derive(Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub title: Field,
    pub title_infix: Field,
    pub reference: Field,
    pub text: Field,
    pub access: Field,
    pub facets: Field,
    pub date: Field,
    pub meta: Field,
}

impl Fields {
    pub fn of(schema: &Schema) -> tantivy::Result<Fields> {
        Ok(Fields {
            id: schema.get_field(ID)?,
            title: schema.get_field(TITLE)?,
            title_infix: schema.get_field(TITLE_INFIX)?,
            reference: schema.get_field(REFERENCE)?,
            text: schema.get_field(TEXT)?,
            access: schema.get_field(ACCESS)?,
            facets: schema.get_field(FACETS)?,
            date: schema.get_field(DATE)?,
            meta: schema.get_field(META)?,
        })
    }

    pub fn id_term(&self, id: Uuid) -> Term {
        Term::from_field_text(self.id, &id.to_string())
    }

    pub fn document(&self, source: &IndexSource) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(self.id, source.id.to_string());
        // Imported data is full of line breaks and doubled spaces inside titles.
        let title = normalize_space(&source.title);
        doc.add_text(self.title_infix, &title);
        doc.add_text(self.title, title);
        doc.add_text(self.text, &source.text);
        if let Some(reference) = &source.reference {
            doc.add_text(self.reference, reference.trim());
        }
        for tag in &source.access {
            doc.add_text(self.access, tag);
        }
        doc.add_facet(
            self.facets,
            Facet::from_path(["kind", kind_name(source.kind)]),
        );
        for committee in &source.committees {
            doc.add_facet(
                self.facets,
                Facet::from_path(["committee".to_owned(), committee.to_string()]),
            );
        }
        if let Some(date) = source.date {
            let year = date.with_timezone(&chrono_tz::Europe::Berlin).year();
            doc.add_facet(
                self.facets,
                Facet::from_path(["year".to_owned(), year.to_string()]),
            );
            doc.add_i64(self.date, date.timestamp());
        }
        if let Some(paper_type) = &source.paper_type {
            doc.add_facet(
                self.facets,
                Facet::from_path(["type".to_owned(), paper_type.clone()]),
            );
        }
        let meta = Meta {
            kind: source.kind,
            paper_type: source.paper_type.clone(),
            result: source.result.clone(),
            date: source.date,
            context: source.context.clone(),
            parent: source.parent,
        };
        doc.add_text(
            self.meta,
            serde_json::to_string(&meta).expect("meta serialises"),
        );
        doc
    }

    /// A hit from a stored document, without score, cursor and highlights.
    pub fn hit(&self, doc: &TantivyDocument) -> Result<Hit, String> {
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str().map(str::to_owned))
        };
        let id: Uuid = text(self.id)
            .and_then(|s| s.parse().ok())
            .ok_or("a document without id")?;
        let meta: Meta = serde_json::from_str(&text(self.meta).unwrap_or_default())
            .map_err(|e| format!("document {id}: {e}"))?;
        let mut hit = Hit::blank(meta.kind, id);
        hit.title = text(self.title).unwrap_or_default();
        hit.reference = text(self.reference);
        hit.paper_type = meta.paper_type;
        hit.result = meta.result;
        hit.date = meta.date;
        hit.context = meta.context;
        hit.parent = meta.parent;
        Ok(hit)
    }
}

pub fn kind_name(kind: Kind) -> &'static str {
    kind.table()
}

fn normalize_space(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
