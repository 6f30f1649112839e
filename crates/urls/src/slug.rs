//! Tenant slugs: DNS labels that name a tenant in its default URL.

use std::fmt;

/// Names that would collide with installation-wide paths or host names.
pub const RESERVED_SLUGS: [&str; 7] = ["www", "api", "oparl", "t", "admin", "static", "auth"];

const MIN_LEN: usize = 2;
const MAX_LEN: usize = 63;

/// A validated tenant slug: 2–63 characters of `a-z`, `0-9` and inner hyphens, not reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("a slug needs at least {MIN_LEN} characters, got {0}")]
    TooShort(usize),
    #[error("a slug may have at most {MAX_LEN} characters, got {0}")]
    TooLong(usize),
    #[error(
        "a slug may contain only lower-case letters a-z, digits and hyphens; found {found:?} at position {position}"
    )]
    InvalidCharacter { found: char, position: usize },
    #[error("a slug must not start or end with a hyphen")]
    EdgeHyphen,
    #[error("`{0}` is reserved and cannot name a tenant")]
    Reserved(String),
}

impl Slug {
    pub fn parse(input: &str) -> Result<Slug, SlugError> {
        let chars = input.chars().count();
        if chars < MIN_LEN {
            return Err(SlugError::TooShort(chars));
        }
        if chars > MAX_LEN {
            return Err(SlugError::TooLong(chars));
        }
        if let Some((position, found)) = input
            .chars()
            .enumerate()
            .find(|(_, c)| !matches!(c, 'a'..='z' | '0'..='9' | '-'))
        {
            return Err(SlugError::InvalidCharacter { found, position });
        }
        if input.starts_with('-') || input.ends_with('-') {
            return Err(SlugError::EdgeHyphen);
        }
        if RESERVED_SLUGS.contains(&input) {
            return Err(SlugError::Reserved(input.to_owned()));
        }
        Ok(Slug(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dns_labels() {
        for ok in [
            "ab",
            "husum",
            "stadt-kiel",
            "kreis-42",
            "a1",
            &"x".repeat(63),
        ] {
            assert_eq!(Slug::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_hostile_and_odd_input() {
        let long = "a".repeat(300);
        type Expect = fn(&SlugError) -> bool;
        let cases: [(&str, Expect); 10] = [
            ("", |e| matches!(e, SlugError::TooShort(0))),
            ("a", |e| matches!(e, SlugError::TooShort(1))),
            (&long, |e| matches!(e, SlugError::TooLong(300))),
            ("../x", |e| {
                matches!(
                    e,
                    SlugError::InvalidCharacter {
                        found: '.',
                        position: 0
                    }
                )
            }),
            ("a;drop schema", |e| {
                matches!(e, SlugError::InvalidCharacter { found: ';', .. })
            }),
            ("Husum", |e| {
                matches!(e, SlugError::InvalidCharacter { found: 'H', .. })
            }),
            ("bürgerinfo", |e| {
                matches!(e, SlugError::InvalidCharacter { found: 'ü', .. })
            }),
            ("-kiel", |e| matches!(e, SlugError::EdgeHyphen)),
            ("kiel-", |e| matches!(e, SlugError::EdgeHyphen)),
            ("admin", |e| matches!(e, SlugError::Reserved(_))),
        ];
        for (input, expected) in cases {
            let err = Slug::parse(input).unwrap_err();
            assert!(expected(&err), "{input:?} gave {err:?}");
            assert!(!err.to_string().is_empty());
        }
        for reserved in RESERVED_SLUGS {
            assert!(Slug::parse(reserved).is_err(), "{reserved} accepted");
        }
    }
}
