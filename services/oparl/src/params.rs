//! The query parameters of an external list (OParl §2.7): the four date-time bounds,
//! `limit`, `omit_internal`, and our own page cursor `after`. Every link of a page carries
//! them in one fixed order and encoding, which is their canonical form.

use crate::error::OparlError;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use plenum_tenants::council::{Filter, MAX_PAGE_SIZE};
use url::form_urlencoded;

/// Objects per page unless the client asks for another number.
pub(crate) const DEFAULT_LIMIT: u32 = 100;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ListParams {
    pub created_since: Option<DateTime<FixedOffset>>,
    pub created_until: Option<DateTime<FixedOffset>>,
    pub modified_since: Option<DateTime<FixedOffset>>,
    pub modified_until: Option<DateTime<FixedOffset>>,
    pub limit: Option<u32>,
    pub omit_internal: bool,
    /// Where the previous page ended (opaque to clients).
    pub after: Option<String>,
}

/// The longest query string a list accepts; cursors and four date-times fit easily.
const MAX_QUERY_BYTES: usize = 2048;

impl ListParams {
    pub fn parse(query: Option<&str>) -> Result<ListParams, OparlError> {
        let query = query.unwrap_or_default();
        if query.len() > MAX_QUERY_BYTES {
            return Err(OparlError::bad_request(format!(
                "Die Abfrage ist länger als {MAX_QUERY_BYTES} Zeichen."
            )));
        }
        let mut params = ListParams::default();
        let mut seen: Vec<String> = Vec::new();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if seen.iter().any(|k| *k == key) {
                return Err(OparlError::bad_request(format!(
                    "Der Parameter `{key}` ist mehrfach angegeben."
                )));
            }
            seen.push(key.to_string());
            match key.as_ref() {
                "created_since" => params.created_since = Some(date_time(&key, &value)?),
                "created_until" => params.created_until = Some(date_time(&key, &value)?),
                "modified_since" => params.modified_since = Some(date_time(&key, &value)?),
                "modified_until" => params.modified_until = Some(date_time(&key, &value)?),
                "limit" => params.limit = Some(
                    value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                        .ok_or_else(|| {
                            OparlError::bad_request(format!(
                                "`limit` ist eine Zahl von 1 bis {MAX_PAGE_SIZE}, nicht `{value}`."
                            ))
                        })?,
                ),
                "omit_internal" => {
                    params.omit_internal = match value.as_ref() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(OparlError::bad_request(format!(
                                "`omit_internal` ist `true` oder `false`, nicht `{value}`."
                            )));
                        }
                    }
                }
                "after" => params.after = Some(value.into_owned()),
                _ => {
                    return Err(OparlError::bad_request(format!(
                        "Unbekannter Parameter `{key}`. Listen kennen created_since, \
                         created_until, modified_since, modified_until, limit und omit_internal."
                    )));
                }
            }
        }
        Ok(params)
    }

    /// Object parameters: an object URL takes none but `omit_internal`.
    pub fn parse_object(query: Option<&str>) -> Result<ListParams, OparlError> {
        let params = ListParams::parse(query)?;
        let only_omit = ListParams {
            omit_internal: params.omit_internal,
            ..ListParams::default()
        };
        if params != only_omit {
            return Err(OparlError::bad_request(
                "Ein einzelnes Objekt kennt nur den Parameter omit_internal.",
            ));
        }
        Ok(params)
    }

    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT)
    }

    /// The canonical query string with another cursor (`None`: the first page); empty when
    /// there are no parameters.
    pub fn query(&self, after: Option<&str>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        let stamp = |t: &DateTime<FixedOffset>| t.to_rfc3339_opts(SecondsFormat::AutoSi, false);
        for (key, value) in [
            ("created_since", &self.created_since),
            ("created_until", &self.created_until),
            ("modified_since", &self.modified_since),
            ("modified_until", &self.modified_until),
        ] {
            if let Some(value) = value {
                out.append_pair(key, &stamp(value));
            }
        }
        if let Some(limit) = self.limit {
            out.append_pair("limit", &limit.to_string());
        }
        if self.omit_internal {
            out.append_pair("omit_internal", "true");
        }
        if let Some(after) = after {
            out.append_pair("after", after);
        }
        out.finish()
    }

    /// The canonical form of this request's own query.
    pub fn canonical_query(&self) -> String {
        self.query(self.after.as_deref())
    }

    /// The council filter for the bounds. `modified_since` brings tombstones with it.
    pub fn filter(&self) -> Filter {
        let utc = |t: &Option<DateTime<FixedOffset>>| t.map(|t| t.with_timezone(&Utc));
        Filter {
            created_since: utc(&self.created_since),
            created_until: utc(&self.created_until),
            modified_since: utc(&self.modified_since),
            modified_until: utc(&self.modified_until),
            ..Filter::default()
        }
    }
}

fn date_time(key: &str, value: &str) -> Result<DateTime<FixedOffset>, OparlError> {
    // A `+` that a client did not encode arrives as a space (a known client and server bug);
    // no date-time has a space, so it can only have been the offset's sign.
    let value = value.trim().replace(' ', "+");
    DateTime::parse_from_rfc3339(&value).map_err(|_| {
        OparlError::bad_request(format!(
            "`{key}` ist ein Zeitpunkt mit Zeitzone wie 2026-06-14T18:00:00+02:00, nicht `{value}`."
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_come_back_in_canonical_order_and_encoding() {
        let p = ListParams::parse(Some(
            "omit_internal=true&limit=20&modified_since=2026-03-01T10:00:00+01:00",
        ))
        .unwrap();
        assert_eq!(p.limit(), 20);
        assert!(p.omit_internal);
        assert_eq!(
            p.canonical_query(),
            "modified_since=2026-03-01T10%3A00%3A00%2B01%3A00&limit=20&omit_internal=true"
        );
        // The canonical form parses to the same parameters.
        assert_eq!(ListParams::parse(Some(&p.canonical_query())).unwrap(), p);
        assert_eq!(
            p.filter().modified_since.unwrap().to_rfc3339(),
            "2026-03-01T09:00:00+00:00"
        );
    }

    #[test]
    fn bad_parameters_are_refused_with_the_reason() {
        for (query, needle) in [
            ("limit=0", "`limit`"),
            ("limit=100000", "`limit`"),
            ("modified_since=2026-03-01", "modified_since"),
            ("omit_internal=yes", "omit_internal"),
            ("page=2", "Unbekannter Parameter `page`"),
            ("limit=5&limit=6", "mehrfach"),
        ] {
            let err = ListParams::parse(Some(query)).unwrap_err();
            assert!(err.message.contains(needle), "{query}: {}", err.message);
        }
        assert!(ListParams::parse_object(Some("limit=5")).is_err());
        assert!(ListParams::parse_object(Some("omit_internal=true")).is_ok());
    }
}
