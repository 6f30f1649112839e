//! The analyzers of the embedded index.
//!
//! German: words are split at everything that is not a letter or digit, lower-cased, folded
//! to one spelling of umlauts and ß (`ü` → `ue`, `ß` → `ss`, so that "Schüler" and
//! "Schueler" meet) and reduced to their Snowball stem ("Schulen" and "Schule" → "schul").
//! Indexing and queries use the same chain, so both sides always agree. Stop words stay in
//! the index (a phrase must not match across a different stop word); loose query words drop
//! them ([`german_query`]).
//!
//! Infix: every four letters of every folded word of a title, so that a word finds the
//! compounds it ends or sits in ("Heizung" in "Elektronachtspeicherheizung", "Schule" in
//! "Gemeinschaftsgrundschule"), which German writes as one word.

use tantivy::tokenizer::{
    Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter,
    TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// The name the German analyzer is registered under.
pub const GERMAN: &str = "de";
/// Whole values, lower-cased: references such as "26-0042/1".
pub const EXACT: &str = "exact";
/// Letter quadruples of title words.
pub const INFIX: &str = "infix";
/// Letters per infix gram.
pub const GRAM: usize = 4;

pub fn german() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(UmlautFolding)
        .filter(Stemmer::new(Language::German))
        .build()
}

/// [`german`] without stop words, for the loose words of a query.
pub fn german_query() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(StopWordFilter::new(Language::German).expect("tantivy ships German stop words"))
        .filter(UmlautFolding)
        .filter(Stemmer::new(Language::German))
        .build()
}

pub fn infix() -> TextAnalyzer {
    TextAnalyzer::builder(InfixTokenizer).build()
}

/// The grams of one analysed (lower-case, folded) word.
pub fn grams(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < GRAM {
        return Vec::new();
    }
    chars.windows(GRAM).map(|w| w.iter().collect()).collect()
}

#[derive(Clone)]
struct InfixTokenizer;

impl Tokenizer for InfixTokenizer {
    type TokenStream<'a> = VecStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecStream {
        let mut tokens = Vec::new();
        let mut start = 0;
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            let offset = start;
            start += word.len() + 1;
            if word.is_empty() {
                continue;
            }
            let lower = word.to_lowercase();
            let folded = fold(&lower).unwrap_or(lower);
            for gram in grams(&folded) {
                tokens.push(Token {
                    offset_from: offset,
                    offset_to: offset + word.len(),
                    position: tokens.len(),
                    text: gram,
                    position_length: 1,
                });
            }
        }
        VecStream { tokens, next: 0 }
    }
}

struct VecStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for VecStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

pub fn exact() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .build()
}

/// Writes umlauts and ß the way a keyboard without them does.
pub fn fold(word: &str) -> Option<String> {
    if word.is_ascii() {
        return None;
    }
    let mut out = String::with_capacity(word.len() + 4);
    for c in word.chars() {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            // Accented letters of names and loan words ("Café", "Bürgermeisterin Kovač").
            'à' | 'á' | 'â' | 'ã' | 'å' => out.push('a'),
            'ç' | 'č' | 'ć' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' => out.push('o'),
            'ù' | 'ú' | 'û' => out.push('u'),
            'š' => out.push('s'),
            'ž' => out.push('z'),
            other => out.push(other),
        }
    }
    Some(out)
}

#[derive(Clone)]
struct UmlautFolding;

impl TokenFilter for UmlautFolding {
    type Tokenizer<T: Tokenizer> = UmlautFoldingFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> UmlautFoldingFilter<T> {
        UmlautFoldingFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
struct UmlautFoldingFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for UmlautFoldingFilter<T> {
    type TokenStream<'a> = UmlautFoldingStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        UmlautFoldingStream {
            tail: self.inner.token_stream(text),
        }
    }
}

struct UmlautFoldingStream<T> {
    tail: T,
}

impl<T: TokenStream> TokenStream for UmlautFoldingStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(folded) = fold(&token.text) {
            token.text = folded;
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// The part of `text` (about `bytes` long, on word boundaries) around the first word that
/// starts with one of `stems`, found without stemming; the start of `text` when none does.
pub fn passage<'a>(text: &'a str, stems: &[String], bytes: usize) -> &'a str {
    if text.len() <= bytes {
        return text;
    }
    let mut words = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .filter(UmlautFolding)
        .build();
    // The Snowball stemmer writes umlauts without their e ("schueler" → "schul"), so compare
    // both sides with plain vowels.
    let stems: Vec<String> = stems.iter().map(|s| plain_vowels(s)).collect();
    let mut first = None;
    let mut stream = words.token_stream(text);
    while stream.advance() {
        let token = stream.token();
        let word = plain_vowels(&token.text);
        if stems.iter().any(|s| word.starts_with(s.as_str())) {
            first = Some(token.offset_from);
            break;
        }
    }
    let centre = first.unwrap_or(0);
    let mut start = centre.saturating_sub(bytes / 2);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + bytes).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    // Whole words only: cut back to the nearest spaces.
    let start = if start == 0 {
        0
    } else {
        text[start..end].find(' ').map_or(start, |i| start + i + 1)
    };
    let end = if end == text.len() {
        end
    } else {
        text[start..end].rfind(' ').map_or(end, |i| start + i)
    };
    &text[start..end]
}

/// `ae`, `oe`, `ue` as `a`, `o`, `u` (not after `q`, `e` or another vowel): close enough to
/// find where a stem occurs.
fn plain_vowels(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut previous = ' ';
    for c in word.chars() {
        let folds = c == 'e'
            && matches!(previous, 'a' | 'o' | 'u')
            && !out[..out.len() - 1].ends_with(['q', 'e', 'a', 'i', 'o', 'u']);
        if !folds {
            out.push(c);
        }
        previous = c;
    }
    out
}

/// The terms `text` becomes in a field with the German analyzer.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    positioned_terms(analyzer, text)
        .into_iter()
        .map(|(_, t)| t)
        .collect()
}

/// The terms with their positions: stop words leave gaps that phrases must keep.
pub fn positioned_terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let token = stream.token();
        out.push((token.position, token.text.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(text: &str) -> Vec<String> {
        terms(&mut german(), text)
    }

    #[test]
    fn umlaut_spellings_meet() {
        assert_eq!(stems("Schüler"), stems("Schueler"));
        assert_eq!(stems("Straßenbau"), stems("Strassenbau"));
        assert_eq!(stems("BÜRGERBUS"), stems("buergerbus"));
    }

    #[test]
    fn inflections_share_a_stem() {
        assert_eq!(stems("Schulen"), stems("Schule"));
        assert_eq!(stems("Friedhöfe")[0][..6], stems("Friedhof")[0][..6]);
        assert_eq!(stems("Haushaltsplanes"), stems("Haushaltsplan"));
    }

    #[test]
    fn stop_words_stay_in_the_index_and_leave_queries() {
        assert_eq!(stems("Der Rat").len(), 2);
        assert_eq!(
            terms(&mut german_query(), "Der Rat und die Verwaltung"),
            stems("Rat Verwaltung")
        );
        assert!(stems("26-0042").contains(&"0042".to_owned()));
    }

    #[test]
    fn a_passage_is_cut_around_the_first_match() {
        let text = format!(
            "{} Die Schülerbeförderung wird neu geregelt. {}",
            "Anfang ".repeat(500),
            "Ende ".repeat(500)
        );
        let cut = passage(&text, &stems("Schüler"), 200);
        assert!(
            cut.len() <= 200 && cut.contains("Schülerbeförderung"),
            "{cut}"
        );
        assert!(!cut.starts_with(' ') && !cut.ends_with(' '));
        assert_eq!(
            passage(&"kurz ".repeat(10), &stems("Schule"), 200),
            "kurz ".repeat(10)
        );
    }

    #[test]
    fn infix_grams_find_word_ends() {
        let title = terms(&mut infix(), "Elektronachtspeicherheizung, Grundschule Gey");
        for gram in grams(&stems("Heizung")[0]) {
            assert!(title.contains(&gram), "{gram}");
        }
        assert!(title.contains(&"schu".to_owned()) && !title.contains(&"gey".to_owned()));
    }
}
