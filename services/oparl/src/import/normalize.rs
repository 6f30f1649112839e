//! How values from real OParl servers are read (../shared/oparl/QUIRKS.md): blanks, "N/A" and
//! stray non-breaking spaces are absent; date-times with broken or missing offsets are
//! repaired; GeoJSON comes as Feature or bare Point, sometimes with latitude first; a list
//! sometimes arrives as a single object.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Europe::Berlin;
use serde_json::Value;

/// A text value, trimmed (NBSP included); `None` for absent, blank and placeholder values.
pub(crate) fn text(value: Option<&Value>) -> Option<String> {
    let s = value?.as_str()?;
    let trimmed = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}');
    match trimmed {
        "" | "N/A" | "n/a" | "-" => None,
        t => Some(t.to_owned()),
    }
}

/// A date-time. Accepts RFC 3339, a doubled colon in the offset (`+01::00`), fractional
/// seconds, `Z`, a missing offset (read as Berlin wall time) and a bare date (midnight in
/// Berlin).
pub(crate) fn date_time(value: Option<&Value>) -> Option<DateTime<FixedOffset>> {
    let raw = text(value)?;
    let repaired = raw.replace("::", ":");
    if let Ok(t) = DateTime::parse_from_rfc3339(&repaired) {
        return Some(t);
    }
    let local = NaiveDateTime::parse_from_str(&repaired, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(&repaired, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    Berlin
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.fixed_offset())
}

/// A date; a date-time counts by its Berlin day.
pub(crate) fn date(value: Option<&Value>) -> Option<NaiveDate> {
    let raw = text(value)?;
    if let Ok(d) = NaiveDate::parse_from_str(&raw, "%Y-%m-%d") {
        return Some(d);
    }
    date_time(value).map(|t| t.with_timezone(&Berlin).date_naive())
}

/// Longitude and latitude from a GeoJSON Feature or bare Point. Servers that put latitude
/// first are recognised for places in and around Germany (latitude 47–56, longitude 5–16),
/// where the two ranges do not overlap.
pub(crate) fn point(value: Option<&Value>) -> Option<(f64, f64)> {
    let value = value?;
    let geometry = match value.get("type").and_then(Value::as_str) {
        Some("Feature") => value.get("geometry")?,
        _ => value,
    };
    if geometry.get("type").and_then(Value::as_str) != Some("Point") {
        return None;
    }
    let coordinates = geometry.get("coordinates")?.as_array()?;
    let a = coordinates.first()?.as_f64()?;
    let b = coordinates.get(1)?.as_f64()?;
    let german_lat = |x: f64| (47.0..=56.0).contains(&x);
    let german_lon = |x: f64| (5.0..=16.0).contains(&x);
    let (lon, lat) = if german_lat(a) && german_lon(b) {
        (b, a)
    } else {
        (a, b)
    };
    ((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)).then_some((lon, lat))
}

/// A list property that some servers send as a single object (or null).
pub(crate) fn many(value: Option<&Value>) -> Vec<Value> {
    match value {
        Some(Value::Array(items)) => items.iter().filter(|v| !v.is_null()).cloned().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other.clone()],
    }
}

/// URL references of a property, single or list, blanks dropped.
pub(crate) fn urls(value: Option<&Value>) -> Vec<String> {
    many(value).iter().filter_map(|v| text(Some(v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blanks_and_placeholders_are_absent() {
        assert_eq!(
            text(Some(&json!(" Rathaus\u{a0} "))),
            Some("Rathaus".into())
        );
        for absent in [json!(""), json!("  "), json!("N/A"), json!(null), json!(5)] {
            assert_eq!(text(Some(&absent)), None, "{absent}");
        }
    }

    #[test]
    fn broken_date_times_are_repaired() {
        let t = |s: &str| date_time(Some(&json!(s))).map(|t| t.to_rfc3339());
        assert_eq!(
            t("2019-12-15T05:01:23+01::00"),
            Some("2019-12-15T05:01:23+01:00".into())
        );
        assert_eq!(
            t("2026-06-14T18:00:00"),
            Some("2026-06-14T18:00:00+02:00".into())
        );
        assert_eq!(t("2026-01-14"), Some("2026-01-14T00:00:00+01:00".into()));
        assert_eq!(
            t("2026-01-14T17:00:00.5Z"),
            Some("2026-01-14T17:00:00.500+00:00".into())
        );
        assert_eq!(t(""), None);
        assert_eq!(t("gestern"), None);
        assert_eq!(
            date(Some(&json!("2026-03-31T23:30:00+00:00"))),
            NaiveDate::from_ymd_opt(2026, 4, 1),
            "a date-time counts by its Berlin day"
        );
    }

    #[test]
    fn coordinates_come_out_longitude_first() {
        let feature = |a: f64, b: f64| json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [a, b]}});
        // Hürtgenwald's server sends latitude first.
        assert_eq!(
            point(Some(&feature(50.722007, 6.395776))),
            Some((6.395776, 50.722007))
        );
        assert_eq!(
            point(Some(&feature(6.395776, 50.722007))),
            Some((6.395776, 50.722007))
        );
        let bare = json!({"type": "Point", "coordinates": [9.99, 53.55]});
        assert_eq!(point(Some(&bare)), Some((9.99, 53.55)));
        assert_eq!(point(Some(&json!({"type": "Polygon"}))), None);
    }

    #[test]
    fn lists_and_keys_are_read_leniently() {
        assert_eq!(many(Some(&json!({"id": "x"}))).len(), 1);
        assert_eq!(many(Some(&json!([null, {"id": "x"}]))).len(), 1);
        assert_eq!(urls(Some(&json!(["a", "", " "]))), vec!["a".to_owned()]);
    }
}
