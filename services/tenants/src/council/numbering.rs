//! Meeting numbers and paper references from per-tenant patterns such as `{code}/{yyyy}/{seq}`
//! ("BA/2026/12") and `{yy}-{seq:04}` ("26-0042").
//!
//! The counter behind `{seq}` is kept per rendered prefix: everything the pattern renders apart
//! from the sequence. So `{code}/{yyyy}/{seq}` counts per committee and year, `{yy}-{seq:04}`
//! per year, and a pattern without a year counts for ever.

use plenum_errors::{ServiceError, ServiceResult};
use plenum_tenancy::TenantTx;
use plenum_tenancy::db_error;
use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, Statement};

pub const MEETING_SETTING: &str = "numbering.meeting";
pub const PAPER_SETTING: &str = "numbering.paper";
const MAX_PATTERN_CHARS: usize = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Code,
    Year4,
    Year2,
    Seq { width: usize },
}

/// A parsed, valid numbering pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    parts: Vec<Part>,
}

/// What a number is made of.
pub struct NumberInput<'a> {
    pub code: Option<&'a str>,
    pub year: i32,
}

impl Pattern {
    /// Parses a pattern; `{seq}` must occur exactly once, `{code}` only where allowed.
    pub fn parse(pattern: &str, allow_code: bool) -> Result<Pattern, String> {
        if pattern.chars().count() > MAX_PATTERN_CHARS {
            return Err(format!(
                "a numbering pattern has at most {MAX_PATTERN_CHARS} characters"
            ));
        }
        let mut parts = Vec::new();
        let mut rest = pattern;
        while !rest.is_empty() {
            if let Some(open) = rest.find('{') {
                if open > 0 {
                    parts.push(Part::Literal(rest[..open].to_owned()));
                }
                let close = rest[open..]
                    .find('}')
                    .ok_or_else(|| format!("unclosed `{{` in `{pattern}`"))?;
                let name = &rest[open + 1..open + close];
                parts.push(match name {
                    "code" if allow_code => Part::Code,
                    "yyyy" => Part::Year4,
                    "yy" => Part::Year2,
                    "seq" => Part::Seq { width: 0 },
                    _ => match name.strip_prefix("seq:") {
                        Some(w) if w.len() <= 2 && w.parse::<usize>().is_ok_and(|w| w <= 9) => {
                            Part::Seq {
                                width: w.parse().unwrap_or(0),
                            }
                        }
                        _ => {
                            let allowed = if allow_code {
                                "{code}, {yyyy}, {yy}, {seq}, {seq:04}"
                            } else {
                                "{yyyy}, {yy}, {seq}, {seq:04}"
                            };
                            return Err(format!("unknown placeholder `{{{name}}}`; use {allowed}"));
                        }
                    },
                });
                rest = &rest[open + close + 1..];
            } else {
                parts.push(Part::Literal(rest.to_owned()));
                rest = "";
            }
        }
        if parts
            .iter()
            .any(|p| matches!(p, Part::Literal(l) if l.contains('}')))
        {
            return Err(format!("stray `}}` in `{pattern}`"));
        }
        let seqs = parts
            .iter()
            .filter(|p| matches!(p, Part::Seq { .. }))
            .count();
        if seqs != 1 {
            return Err("a numbering pattern needs exactly one {seq}".to_owned());
        }
        Ok(Pattern { parts })
    }

    pub fn needs_code(&self) -> bool {
        self.parts.contains(&Part::Code)
    }

    fn render(&self, input: &NumberInput<'_>, seq: Option<i64>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(l) => out.push_str(l),
                Part::Code => out.push_str(input.code.unwrap_or("")),
                Part::Year4 => out.push_str(&format!("{:04}", input.year)),
                Part::Year2 => out.push_str(&format!("{:02}", input.year.rem_euclid(100))),
                Part::Seq { width } => match seq {
                    Some(seq) => out.push_str(&format!("{seq:0width$}")),
                    None => out.push('#'),
                },
            }
        }
        out
    }

    /// The counter scope: the rendering without the sequence.
    pub fn scope(&self, prefix: &str, input: &NumberInput<'_>) -> String {
        format!("{prefix}:{}", self.render(input, None))
    }

    pub fn format(&self, input: &NumberInput<'_>, seq: i64) -> String {
        self.render(input, Some(seq))
    }
}

/// Validates a numbering setting before it is stored.
pub fn validate_setting(key: &str, value: &str) -> ServiceResult<()> {
    let allow_code = match key {
        MEETING_SETTING => true,
        PAPER_SETTING => false,
        _ => return Ok(()),
    };
    Pattern::parse(value, allow_code)
        .map(|_| ())
        .map_err(|message| ServiceError::validation("value", message))
}

/// Draws the next number of `scope` in the caller's transaction. The row lock taken by the
/// upsert is held until commit, so concurrent creators wait and each gets its own number; a
/// rolled-back creation gives its number back.
pub async fn next(tx: &TenantTx, scope: &str) -> ServiceResult<i64> {
    let row = tx
        .conn()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO counters (scope, value) VALUES ($1, 1) \
             ON CONFLICT (scope) DO UPDATE SET value = counters.value + 1 RETURNING value",
            [scope.into()],
        ))
        .await
        .map_err(db_error)?
        .ok_or_else(|| ServiceError::internal("counter upsert returned no row"))?;
    row.try_get::<i64>("", "value").map_err(db_error)
}

/// Raises a counter to at least `value` (after an import that brought its own numbers).
pub async fn raise(tx: &TenantTx, scope: &str, value: i64) -> ServiceResult<()> {
    tx.conn()
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO counters (scope, value) VALUES ($1, $2) \
             ON CONFLICT (scope) DO UPDATE SET value = greatest(counters.value, excluded.value)",
            [scope.into(), value.into()],
        ))
        .await
        .map_err(db_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_documented_examples() {
        let meeting = Pattern::parse("{code}/{yyyy}/{seq}", true).unwrap();
        let input = NumberInput {
            code: Some("BA"),
            year: 2026,
        };
        assert_eq!(meeting.format(&input, 12), "BA/2026/12");
        assert_eq!(meeting.scope("meeting", &input), "meeting:BA/2026/#");
        let paper = Pattern::parse("{yy}-{seq:04}", false).unwrap();
        let input = NumberInput {
            code: None,
            year: 2026,
        };
        assert_eq!(paper.format(&input, 42), "26-0042");
        assert_eq!(paper.scope("paper", &input), "paper:26-#");
    }

    #[test]
    fn refuses_broken_patterns() {
        for bad in [
            "{yy}-",
            "{seq}{seq}",
            "{yy}-{seq",
            "{code}-{seq}",
            "{seq:x}",
            "a}{seq}",
        ] {
            assert!(Pattern::parse(bad, false).is_err(), "{bad} accepted");
        }
        assert!(Pattern::parse("{code}-{seq}", true).is_ok());
    }
}
