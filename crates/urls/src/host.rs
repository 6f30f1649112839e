//! Custom host names under which a tenant may be served (`ratsinfo.husum.de`).

use std::fmt;

/// A validated, lower-case DNS host name with at least two labels and no port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("a host name may have at most 253 characters")]
    TooLong,
    #[error("a host name needs at least two labels, like `ratsinfo.example.de`")]
    SingleLabel,
    #[error(
        "host label `{0}` is invalid: 1–63 characters of a-z, 0-9 and inner hyphens (use punycode for umlauts)"
    )]
    BadLabel(String),
}

impl HostName {
    /// Parses a host name. Upper case is folded; a port, a path or a trailing dot is refused.
    pub fn parse(input: &str) -> Result<HostName, HostError> {
        let lower = input.to_ascii_lowercase();
        if lower.len() > 253 {
            return Err(HostError::TooLong);
        }
        let labels: Vec<&str> = lower.split('.').collect();
        if labels.len() < 2 {
            return Err(HostError::SingleLabel);
        }
        for label in &labels {
            let valid = !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'));
            if !valid {
                return Err(HostError::BadLabel((*label).to_owned()));
            }
        }
        Ok(HostName(lower))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_folds_case() {
        assert_eq!(
            HostName::parse("RatsInfo.Husum.DE").unwrap().as_str(),
            "ratsinfo.husum.de"
        );
        assert_eq!(
            HostName::parse("xn--mnster-3ya.de").unwrap().as_str(),
            "xn--mnster-3ya.de"
        );
    }

    #[test]
    fn refuses_ports_paths_and_junk() {
        for bad in [
            "localhost",
            "host.de:8080",
            "host.de/x",
            "münster.de",
            "a..de",
            "-a.de",
            "host.de.",
            "",
        ] {
            assert!(HostName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
