//! "Niederschrift prüfen": anyone checks whether a PDF is a faithful copy of approved
//! minutes. The file's SHA-512 is computed here, as it arrives, and compared with the
//! checksums recorded at approval (`verifyMinutes`, as the visitor: a meeting the visitor
//! may not see confirms nothing). The file itself is neither kept nor sent on.

use crate::{PortalState, Req};
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

/// The largest file the page checks (minutes with attachments stay far below).
pub(crate) const MAX_BYTES: usize = 64 * 1024 * 1024;

#[derive(Deserialize, Default)]
pub(crate) struct CheckQuery {
    /// A checksum typed in or linked (hex SHA-512).
    pruefsumme: Option<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_sha512(value: &str) -> bool {
    value.len() == 128 && value.chars().all(|c| c.is_ascii_hexdigit())
}

pub(crate) async fn form(
    State(portal): PortalState,
    req: Req,
    Query(q): Query<CheckQuery>,
) -> Response {
    match q.pruefsumme.map(|s| s.trim().to_ascii_lowercase()) {
        Some(sum) if is_sha512(&sum) => check(&portal, &req, sum, None).await,
        Some(_) => show(&portal, &req, json!({ "error": "check-bad-sum" })).await,
        None => show(&portal, &req, json!({})).await,
    }
}

/// The uploaded file (form field `datei`), hashed while it streams in.
pub(crate) async fn upload(
    State(portal): PortalState,
    req: Req,
    mut multipart: Multipart,
) -> Response {
    let mut found: Option<(String, String)> = None;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return show(&portal, &req, json!({ "error": "check-upload-failed" })).await,
        };
        if field.name() != Some("datei") {
            continue;
        }
        let name = field.file_name().unwrap_or("").to_owned();
        let mut hasher = Sha512::new();
        let mut size = 0usize;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    size += chunk.len();
                    if size > MAX_BYTES {
                        return show(&portal, &req, json!({ "error": "check-too-large" })).await;
                    }
                    hasher.update(&chunk);
                }
                Ok(None) => break,
                Err(_) => {
                    return show(&portal, &req, json!({ "error": "check-upload-failed" })).await;
                }
            }
        }
        if size == 0 {
            return show(&portal, &req, json!({ "error": "check-empty" })).await;
        }
        found = Some((hex(&hasher.finalize()), name));
    }
    match found {
        Some((sum, name)) => check(&portal, &req, sum, Some(name)).await,
        None => show(&portal, &req, json!({ "error": "check-empty" })).await,
    }
}

async fn check(portal: &crate::Portal, req: &Req, sum: String, name: Option<String>) -> Response {
    let data = match portal
        .data(
            req,
            "$h: String!",
            "verifyMinutes(sha512: $h) { meetingId version approvedAt superseded }",
            json!({ "h": sum }),
        )
        .await
    {
        Ok(d) => d,
        Err(f) => return portal.failed(req, f),
    };
    let check = &data["verifyMinutes"];
    let meeting = if check.is_null() {
        Value::Null
    } else {
        match portal
            .data(
                req,
                "$m: ID!",
                "meeting(id: $m) { id name number startAt }",
                json!({ "m": check["meetingId"] }),
            )
            .await
        {
            Ok(d) => d["meeting"].clone(),
            Err(f) => return portal.failed(req, f),
        }
    };
    let values = json!({ "sum": sum, "file_name": name, "check": check, "meeting": meeting });
    let mut response = portal.render(req, "minutes_check.html", "", &data, values);
    // An answer about one file is nobody else's page: it never enters the page cache.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn show(portal: &crate::Portal, req: &Req, values: Value) -> Response {
    let data = match portal.data(req, "", "", json!({})).await {
        Ok(d) => d,
        Err(f) => return portal.failed(req, f),
    };
    let error = values.get("error").is_some();
    let mut response = portal.render(req, "minutes_check.html", "", &data, values);
    if error {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_are_128_hex_digits() {
        assert!(is_sha512(&"ab".repeat(64)));
        assert!(!is_sha512(&"ab".repeat(63)));
        assert!(!is_sha512(&"xy".repeat(64)));
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}
