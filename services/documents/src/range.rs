//! `Range: bytes=…` requests (RFC 9110 §14): one range is served as 206; a header we do not
//! understand, or several ranges, is ignored and the whole file sent, as the RFC allows.

use serde::{Deserialize, Serialize};

/// A requested byte range, before the file's size is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ByteRange {
    /// `bytes=start-` or `bytes=start-end` (end inclusive).
    From { start: u64, end: Option<u64> },
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

impl ByteRange {
    /// Reads a `Range` header; `None` means "send everything".
    pub fn parse(header: &str) -> Option<ByteRange> {
        let spec = header.trim().strip_prefix("bytes=")?.trim();
        if spec.contains(',') {
            return None;
        }
        let (start, end) = spec.split_once('-')?;
        let (start, end) = (start.trim(), end.trim());
        if start.is_empty() {
            return end.parse().ok().map(ByteRange::Suffix);
        }
        let start: u64 = start.parse().ok()?;
        let end = if end.is_empty() {
            None
        } else {
            let end: u64 = end.parse().ok()?;
            if end < start {
                return None;
            }
            Some(end)
        };
        Some(ByteRange::From { start, end })
    }

    /// The half-open byte span within a file of `size` bytes, or `None` when the range is
    /// not satisfiable (answered with 416).
    pub fn resolve(self, size: u64) -> Option<std::ops::Range<u64>> {
        match self {
            ByteRange::From { start, end } => {
                if start >= size {
                    return None;
                }
                let end = end.map_or(size, |e| (e + 1).min(size));
                Some(start..end)
            }
            ByteRange::Suffix(0) => None,
            ByteRange::Suffix(n) => Some(size.saturating_sub(n)..size),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_resolve() {
        let r = |h: &str| ByteRange::parse(h);
        assert_eq!(r("bytes=0-99").unwrap().resolve(1000), Some(0..100));
        assert_eq!(r("bytes=900-").unwrap().resolve(1000), Some(900..1000));
        assert_eq!(r("bytes=-10").unwrap().resolve(1000), Some(990..1000));
        assert_eq!(r("bytes=-5000").unwrap().resolve(1000), Some(0..1000));
        assert_eq!(r("bytes=990-5000").unwrap().resolve(1000), Some(990..1000));
        assert_eq!(r("bytes=1000-").unwrap().resolve(1000), None);
        assert_eq!(r("bytes=-0").unwrap().resolve(1000), None);
        assert_eq!(r("bytes=5-1"), None);
        assert_eq!(r("bytes=0-1,5-6"), None);
        assert_eq!(r("items=0-1"), None);
        assert_eq!(r("bytes=a-b"), None);
    }
}
