//! Tenant settings, stored in the tenant's own schema.

use crate::api::Setting;
use plenum_errors::{ServiceError, ServiceResult};
use plenum_tenancy::sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};
use plenum_tenancy::{TenantTx, db_error};

const MAX_VALUE_CHARS: usize = 4096;

#[derive(FromQueryResult)]
struct SettingRow {
    key: String,
    value: String,
    modified_at: chrono::DateTime<chrono::Utc>,
}

impl From<SettingRow> for Setting {
    fn from(row: SettingRow) -> Self {
        Setting {
            key: row.key,
            value: row.value,
            modified_at: row.modified_at,
        }
    }
}

/// Settings only tenant administrators read: sign-in (`auth.*`).
pub(crate) fn is_administrative(key: &str) -> bool {
    key.starts_with("auth.")
}

pub(crate) fn validate(key: &str, value: &str) -> ServiceResult<()> {
    let key_ok = (1..=64).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
    if !key_ok {
        return Err(ServiceError::validation(
            "key",
            "a setting key is 1–64 characters of a-z, 0-9, `_` and `.`, starting with a letter",
        ));
    }
    let chars = value.chars().count();
    if chars > MAX_VALUE_CHARS {
        return Err(ServiceError::validation(
            "value",
            format!("a setting value may have at most {MAX_VALUE_CHARS} characters, got {chars}"),
        ));
    }
    if let Some(checked) = crate::council::workflow::procedure::validate_setting(key, value) {
        return checked.map_err(|e| ServiceError::validation("value", e));
    }
    match key {
        plenum_identity::claims::SETTING_KEY => plenum_identity::OidcTenantConfig::parse(value)
            .map(|_| ())
            .map_err(|e| ServiceError::validation("value", e)),
        plenum_visibility::SETTING_NONPUBLIC_TO_ALL_MEMBERS
            if value != "true" && value != "false" =>
        {
            Err(ServiceError::validation(
                "value",
                format!("{key} is `true` or `false`"),
            ))
        }
        // Read by the documents service, which cannot be asked from here; its key is fixed.
        "documents.max_upload_bytes"
            if !value
                .parse::<u64>()
                .is_ok_and(|n| (1..=1 << 40).contains(&n)) =>
        {
            Err(ServiceError::validation(
                "value",
                format!("{key} is a number of bytes between 1 and 1 TiB"),
            ))
        }
        // Read by the portal, which cannot be asked from here; its key is fixed.
        "branding.color"
            if !(value.len() == 7
                && value.starts_with('#')
                && value[1..].chars().all(|c| c.is_ascii_hexdigit())) =>
        {
            Err(ServiceError::validation(
                "value",
                format!("{key} is a colour as #rrggbb, e.g. #1d4f91"),
            ))
        }
        "branding.coat_of_arms" if uuid::Uuid::parse_str(value).is_err() => {
            Err(ServiceError::validation(
                "value",
                format!("{key} is the id of an uploaded public PNG or JPEG file"),
            ))
        }
        // The OParl Body's descriptive fields (read by the OParl API).
        "oparl.ags" if !(value.len() == 8 && value.chars().all(|c| c.is_ascii_digit())) => {
            Err(ServiceError::validation(
                "value",
                format!("{key} is the 8-digit Amtlicher Gemeindeschlüssel, e.g. 05358016"),
            ))
        }
        "oparl.rgs" if !(value.len() == 12 && value.chars().all(|c| c.is_ascii_digit())) => {
            Err(ServiceError::validation(
                "value",
                format!("{key} is the 12-digit Regionalschlüssel, e.g. 053580016016"),
            ))
        }
        "oparl.license" | "oparl.website" if !is_web_url(value) => Err(ServiceError::validation(
            "value",
            format!("{key} is an http(s) URL"),
        )),
        "oparl.contact_email" if !value.contains('@') || value.contains(char::is_whitespace) => {
            Err(ServiceError::validation(
                "value",
                format!("{key} is an e-mail address"),
            ))
        }
        _ => crate::council::numbering::validate_setting(key, value),
    }
}

fn is_web_url(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

pub(crate) async fn list(tx: &TenantTx) -> ServiceResult<Vec<Setting>> {
    let rows = tx
        .conn()
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT key, value, modified_at FROM settings ORDER BY key",
        ))
        .await
        .map_err(db_error)?;
    rows.iter()
        .map(|row| SettingRow::from_query_result(row, "").map(Setting::from))
        .collect::<Result<_, _>>()
        .map_err(db_error)
}

pub(crate) async fn upsert(tx: &TenantTx, key: &str, value: &str) -> ServiceResult<Setting> {
    let row = tx
        .conn()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, modified_at = now() \
             RETURNING key, value, modified_at",
            [key.into(), value.into()],
        ))
        .await
        .map_err(db_error)?
        .ok_or_else(|| ServiceError::internal("upsert returned no row"))?;
    SettingRow::from_query_result(&row, "")
        .map(Setting::from)
        .map_err(db_error)
}
