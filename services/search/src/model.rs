//! Queries and results, the same for every backend and across the wire.

use chrono::{DateTime, NaiveDate, Utc};
use plenum_errors::{ServiceError, ServiceResult};
use plenum_tenants::council::model::Kind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest query text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Deepest result a query may page to: relevance ranking beyond it helps nobody, and it bounds
/// the work per request.
pub const MAX_WINDOW: u32 = 1000;
/// Most values one filter may list.
pub const MAX_FILTER_VALUES: usize = 50;

/// Narrows a search; an empty list means "any".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchFilters {
    pub kinds: Vec<Kind>,
    pub committees: Vec<Uuid>,
    pub years: Vec<i32>,
    pub paper_types: Vec<String>,
    /// On or after this day (Berlin).
    pub date_from: Option<NaiveDate>,
    /// On or before this day (Berlin).
    pub date_until: Option<NaiveDate>,
}

impl SearchFilters {
    /// The date range in seconds since the epoch: from the first second of `date_from` to the
    /// last of `date_until`, Berlin time.
    pub fn date_bounds(&self) -> (Option<i64>, Option<i64>) {
        (
            self.date_from.map(|d| berlin_seconds(d, false)),
            self.date_until.map(|d| berlin_seconds(d, true)),
        )
    }
}

fn berlin_seconds(day: NaiveDate, end_of_day: bool) -> i64 {
    use chrono::TimeZone;
    let time = if end_of_day {
        chrono::NaiveTime::from_hms_opt(23, 59, 59).expect("valid time")
    } else {
        chrono::NaiveTime::MIN
    };
    chrono_tz::Europe::Berlin
        .from_local_datetime(&day.and_time(time))
        .earliest()
        .map(|t| t.timestamp())
        .unwrap_or_else(|| day.and_time(time).and_utc().timestamp())
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchSort {
    #[default]
    Relevance,
    Newest,
    Oldest,
}

/// One search. The query text understands words (all must match, with German stemming,
/// umlaut spellings and one typo per word), `"phrases"` and exact references.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    pub query: String,
    #[serde(default)]
    pub filters: SearchFilters,
    #[serde(default)]
    pub sort: SearchSort,
    pub first: u32,
    /// `end_cursor` of the previous page.
    pub after: Option<String>,
}

impl SearchRequest {
    /// Checks the limits and returns the offset the cursor stands for.
    pub fn validate(&self, max_page: u32) -> ServiceResult<usize> {
        if self.query.chars().count() > MAX_QUERY_CHARS {
            return Err(ServiceError::validation(
                "query",
                format!("a search may be at most {MAX_QUERY_CHARS} characters long"),
            ));
        }
        if self.first == 0 || self.first > max_page {
            return Err(ServiceError::validation(
                "first",
                format!("must be between 1 and {max_page}"),
            ));
        }
        let f = &self.filters;
        if f.kinds
            .len()
            .max(f.committees.len())
            .max(f.years.len())
            .max(f.paper_types.len())
            > MAX_FILTER_VALUES
        {
            return Err(ServiceError::validation(
                "filters",
                format!("a filter may list at most {MAX_FILTER_VALUES} values"),
            ));
        }
        let offset = match &self.after {
            None => 0,
            Some(cursor) => decode_cursor(cursor)?,
        };
        if offset as u64 + u64::from(self.first) > u64::from(MAX_WINDOW) {
            return Err(ServiceError::validation(
                "after",
                format!("search results can be paged through the first {MAX_WINDOW} hits only"),
            ));
        }
        Ok(offset)
    }
}

/// Cursors are positions in the ranked list.
pub fn encode_cursor(position: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("s:{position}"))
}

fn decode_cursor(cursor: &str) -> ServiceResult<usize> {
    use base64::Engine;
    let invalid = || ServiceError::validation("after", "not a cursor of this search");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let position: usize = text
        .strip_prefix("s:")
        .and_then(|n| n.parse().ok())
        .ok_or_else(invalid)?;
    Ok(position + 1)
}

/// Appends `c` to `html`, escaped for text and attribute values: highlights are HTML built
/// from indexed (user-written) text.
pub fn push_escaped(html: &mut String, c: char) {
    match c {
        '<' => html.push_str("&lt;"),
        '>' => html.push_str("&gt;"),
        '&' => html.push_str("&amp;"),
        '"' => html.push_str("&quot;"),
        '\'' => html.push_str("&#39;"),
        c => html.push(c),
    }
}

/// A highlighted passage: HTML-escaped text with `<mark>` around the matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Highlight {
    /// `title` or `text`.
    pub field: String,
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub kind: Kind,
    pub id: Uuid,
    pub score: f32,
    pub title: String,
    pub reference: Option<String>,
    pub paper_type: Option<String>,
    pub result: Option<String>,
    pub date: Option<DateTime<Utc>>,
    pub context: Option<String>,
    pub parent: Option<(Kind, Uuid)>,
    pub highlights: Vec<Highlight>,
    pub cursor: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facets {
    pub kinds: Vec<(Kind, u64)>,
    pub committees: Vec<(Uuid, u64)>,
    pub years: Vec<(i32, u64)>,
    pub paper_types: Vec<(String, u64)>,
}

impl Facets {
    /// The order every backend returns: most hits first (ties by value), years newest first.
    pub fn sort(&mut self) {
        self.kinds
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.table().cmp(b.0.table())));
        self.committees
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        self.years.sort_by_key(|y| std::cmp::Reverse(y.0));
        self.paper_types
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// Every hit the caller may see, not just this page.
    pub total: u64,
    pub hits: Vec<Hit>,
    /// Counts over every hit the caller may see, with all filters applied.
    pub facets: Facets,
    pub has_next_page: bool,
}
