//! A search request as a tantivy query.
//!
//! - Every word must match (in the title or the text): as its stem, with one typo, or as the
//!   start of a longer word ("Haushalt" finds "Haushaltsplan"); titles count most.
//! - `"quoted words"` must occur as a phrase.
//! - The whole query also matches a reference or number exactly ("26-0042/1"), first.
//! - The access tags and the filters are conditions that do not change the ranking.

use super::analyzer;
use super::schema::{Fields, kind_name};
use crate::model::SearchRequest;
use crate::synonyms;
use std::ops::Bound;
use std::sync::LazyLock;
use tantivy::Index;
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, FuzzyTermQuery, Occur,
    PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Facet, IndexRecordOption};

/// Words shorter than this match exactly only: a typo in a three-letter word is another word.
const FUZZY_MIN_CHARS: usize = 5;
/// Words at least this long also match as the start of a longer word.
const PREFIX_MIN_CHARS: usize = 4;

/// The synonym groups as stems, analysed once rather than on every query.
static SYNONYM_STEMS: LazyLock<Vec<Vec<String>>> = LazyLock::new(|| {
    let mut german = analyzer::german();
    synonyms::GROUPS
        .iter()
        .map(|group| {
            group
                .iter()
                .flat_map(|word| analyzer::terms(&mut german, word))
                .collect()
        })
        .collect()
});

/// The stems that mean the same as `stem`.
fn synonyms_of(stem: &str) -> impl Iterator<Item = &'static String> {
    SYNONYM_STEMS
        .iter()
        .filter(move |group| group.iter().any(|s| s == stem))
        .flatten()
        .filter(move |s| *s != stem)
}

pub struct Built {
    pub query: Box<dyn Query>,
    /// The analysed terms of the query, for marking them in snippets.
    pub highlight_terms: Vec<String>,
}

/// Splits a query into loose words and quoted phrases.
fn split(query: &str) -> (Vec<&str>, Vec<&str>) {
    let mut words = Vec::new();
    let mut phrases = Vec::new();
    for (i, part) in query.split('"').enumerate() {
        if i % 2 == 1 {
            phrases.push(part);
        } else {
            words.extend(part.split_whitespace());
        }
    }
    (words, phrases)
}

fn boosted(query: impl Query, boost: f32) -> (Occur, Box<dyn Query>) {
    (
        Occur::Should,
        Box::new(BoostQuery::new(Box::new(query), boost)),
    )
}

/// A loose word of the query: itself, its synonyms, and inside a compound of the title.
fn word_clause(fields: &Fields, stem: &str) -> Box<dyn Query> {
    let mut any: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, term_clause(fields, stem))];
    let grams = analyzer::grams(stem);
    if !grams.is_empty() {
        let all: Vec<(Occur, Box<dyn Query>)> = grams
            .iter()
            .map(|g| {
                let term = Term::from_field_text(fields.title_infix, g);
                (
                    Occur::Must,
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
                )
            })
            .collect();
        // A fixed, small score: an infix is the weakest sign of a match.
        any.push((
            Occur::Should,
            Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(all)), 0.5)),
        ));
    }
    for synonym in synonyms_of(stem) {
        any.push(boosted(term_parts(fields, synonym), 0.8));
    }
    Box::new(BooleanQuery::new(any))
}

/// One analysed word in the title and the text.
fn term_clause(fields: &Fields, term: &str) -> Box<dyn Query> {
    Box::new(term_parts(fields, term))
}

fn term_parts(fields: &Fields, term: &str) -> BooleanQuery {
    let mut any = Vec::new();
    for (field, weight) in [(fields.title, 3.0), (fields.text, 1.0)] {
        let t = Term::from_field_text(field, term);
        any.push(boosted(
            TermQuery::new(t.clone(), IndexRecordOption::WithFreqs),
            weight,
        ));
        let chars = term.chars().count();
        if chars >= FUZZY_MIN_CHARS {
            any.push(boosted(
                FuzzyTermQuery::new(t.clone(), 1, true),
                weight * 0.4,
            ));
        }
        if chars >= PREFIX_MIN_CHARS {
            any.push(boosted(
                FuzzyTermQuery::new_prefix(t, 0, false),
                weight * 0.3,
            ));
        }
    }
    BooleanQuery::new(any)
}

fn phrase_clause(fields: &Fields, terms: &[(usize, String)]) -> Box<dyn Query> {
    if terms.len() == 1 {
        return term_clause(fields, &terms[0].1);
    }
    let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, weight) in [(fields.title, 3.0), (fields.text, 1.0)] {
        let phrase = terms
            .iter()
            .map(|(position, t)| (*position, Term::from_field_text(field, t)))
            .collect();
        any.push(boosted(PhraseQuery::new_with_offset(phrase), weight));
    }
    Box::new(BooleanQuery::new(any))
}

/// Matches documents with one of `terms`, without scoring.
fn any_term(terms: impl IntoIterator<Item = Term>) -> Box<dyn Query> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .into_iter()
        .map(|t| {
            (
                Occur::Should,
                Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn Query>,
            )
        })
        .collect();
    if clauses.is_empty() {
        return Box::new(EmptyQuery);
    }
    Box::new(ConstScoreQuery::new(
        Box::new(BooleanQuery::new(clauses)),
        0.0,
    ))
}

pub fn build(
    index: &Index,
    fields: &Fields,
    request: &SearchRequest,
    access: Option<&[String]>,
) -> tantivy::Result<Built> {
    let mut german = index
        .tokenizers()
        .get(analyzer::GERMAN)
        .unwrap_or_else(analyzer::german);
    let mut loose = analyzer::german_query();
    let (words, phrases) = split(&request.query);
    let mut required: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut highlight_terms = Vec::new();
    for word in &words {
        for term in analyzer::terms(&mut loose, word) {
            required.push((Occur::Must, word_clause(fields, &term)));
            highlight_terms.push(term);
        }
    }
    for phrase in &phrases {
        let terms = analyzer::positioned_terms(&mut german, phrase);
        if !terms.is_empty() {
            required.push((Occur::Must, phrase_clause(fields, &terms)));
            highlight_terms.extend(terms.into_iter().map(|(_, t)| t));
        }
    }
    let trimmed = request.query.trim().trim_matches('"').trim();
    let text_query: Box<dyn Query> = if trimmed.is_empty() {
        Box::new(AllQuery)
    } else {
        let reference = Term::from_field_text(fields.reference, &trimmed.to_lowercase());
        let mut either = vec![boosted(
            TermQuery::new(reference, IndexRecordOption::Basic),
            50.0,
        )];
        if !required.is_empty() {
            either.push((Occur::Should, Box::new(BooleanQuery::new(required))));
        }
        Box::new(BooleanQuery::new(either))
    };

    let mut all: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query)];
    if let Some(tags) = access {
        all.push((
            Occur::Must,
            any_term(tags.iter().map(|t| Term::from_field_text(fields.access, t))),
        ));
    }
    let f = &request.filters;
    let facet_filter = |root: &str, values: Vec<String>| {
        any_term(
            values
                .into_iter()
                .map(|v| Term::from_facet(fields.facets, &Facet::from_path([root.to_owned(), v]))),
        )
    };
    if !f.kinds.is_empty() {
        let kinds = f.kinds.iter().map(|k| kind_name(*k).to_owned()).collect();
        all.push((Occur::Must, facet_filter("kind", kinds)));
    }
    if !f.committees.is_empty() {
        let ids = f.committees.iter().map(ToString::to_string).collect();
        all.push((Occur::Must, facet_filter("committee", ids)));
    }
    if !f.years.is_empty() {
        let years = f.years.iter().map(ToString::to_string).collect();
        all.push((Occur::Must, facet_filter("year", years)));
    }
    if !f.paper_types.is_empty() {
        all.push((Occur::Must, facet_filter("type", f.paper_types.clone())));
    }
    let (from, until) = f.date_bounds();
    if from.is_some() || until.is_some() {
        let bound = |seconds: Option<i64>| match seconds {
            Some(s) => Bound::Included(Term::from_field_i64(fields.date, s)),
            None => Bound::Unbounded,
        };
        all.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(
                Box::new(RangeQuery::new(bound(from), bound(until))),
                0.0,
            )),
        ));
    }
    Ok(Built {
        query: Box::new(BooleanQuery::new(all)),
        highlight_terms,
    })
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn quotes_make_phrases() {
        let (words, phrases) = split(r#"Schule "Kein Kind ohne Mahlzeit" Gey"#);
        assert_eq!(words, ["Schule", "Gey"]);
        assert_eq!(phrases, ["Kein Kind ohne Mahlzeit"]);
        // An unclosed quote still makes a phrase of the rest.
        let (_, phrases) = split(r#"Burg "Simonskall"#);
        assert_eq!(phrases, ["Simonskall"]);
    }
}
