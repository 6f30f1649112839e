//! The smallest Typst world that renders our documents: one main source, the fonts that
//! typst-assets embeds, and in-memory files (the data as JSON, the coat of arms). Nothing is
//! read from disk or the network.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, Source};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// Fonts and the standard library, built once per process.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

pub struct DocWorld {
    main: Source,
    /// Files by their path as the template names them, e.g. `/data.json`.
    files: Arc<HashMap<String, Bytes>>,
    today: Datetime,
}

impl DocWorld {
    pub fn new(text: String, files: HashMap<String, Vec<u8>>, today: chrono::NaiveDate) -> Self {
        use chrono::Datelike;
        DocWorld {
            main: Source::detached(text),
            files: Arc::new(files.into_iter().map(|(k, v)| (k, Bytes::new(v))).collect()),
            today: Datetime::from_ymd(today.year(), today.month() as u8, today.day() as u8)
                .expect("a calendar date is a Typst date"),
        }
    }
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        let path = id.vpath().get_with_slash().to_string();
        self.files
            .get(&path)
            .cloned()
            .ok_or_else(|| FileError::NotFound(path.into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}
