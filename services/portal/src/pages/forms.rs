//! What every action form of the portal shares: the posted fields, the session's
//! anti-forgery token, one mutation as the signed-in visitor, the refusal in German, and the
//! redirect back to the page with what was done (post/redirect/get).

use crate::{Portal, Req, signin};
use axum::response::Response;
use plenum_errors::{ErrorCode, ServiceError};
use plenum_urls::Page;
use serde_json::Value;

/// The fields of a form posted by a signed-in user whose anti-forgery token checked out.
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    /// The form in `body`, or None when the token is missing or not the session's.
    pub fn checked(user: &signin::User, body: &[u8]) -> Option<Form> {
        let fields: Vec<(String, String)> = url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let form = Form(fields);
        (form.value("csrf") == Some(user.csrf.as_str())).then_some(form)
    }

    pub fn value(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated field (checkboxes).
    pub fn values(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Fields whose name starts with `prefix`, with the rest of the name.
    pub fn prefixed<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.0
            .iter()
            .filter_map(move |(k, v)| Some((k.strip_prefix(prefix)?, v.as_str())))
    }

    /// A textarea's text with the browser's CRLF line breaks as LF; None when blank.
    pub fn text(&self, key: &str) -> Option<String> {
        self.value(key)
            .map(|t| t.replace("\r\n", "\n"))
            .filter(|t| !t.trim().is_empty())
    }
}

/// Runs one mutation as the visitor; a refusal comes back as German text for the page.
pub(crate) async fn perform(
    portal: &Portal,
    req: &Req,
    mutation: &str,
    variables: Value,
) -> Result<Value, String> {
    portal
        .gateway
        .execute_json(&req.identity(), Some(&req.tenant), mutation, variables)
        .await
        .map_err(|e| refusal_text(&e))
}

/// Back to `page`, telling it what was `done`.
pub(crate) fn done(req: &Req, page: Page<'_>, done: &str) -> Response {
    let to = format!("{}?erledigt={done}", req.base.page(page).path());
    signin::redirect(&to, vec![])
}

/// The refusal of an action, in the visitor's language: the common ones by code and field,
/// the rest with the service's own words.
pub(crate) fn refusal_text(error: &ServiceError) -> String {
    match (error.code, error.field.as_deref()) {
        (ErrorCode::ValidationFailed, Some("lateReason")) => {
            "Die Ladungsfrist ist abgelaufen. Eine Einladung kann jetzt nur mit einer \
             Begründung versandt werden, die festgehalten wird."
                .to_owned()
        }
        (ErrorCode::Forbidden, _) => "Ihre Rolle erlaubt diese Aktion nicht.".to_owned(),
        (ErrorCode::Conflict, _) => format!("Nicht möglich: {}", error.message),
        _ => format!("Die Aktion wurde abgelehnt: {}", error.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_invitation_is_explained_in_german() {
        let late = ServiceError::validation("lateReason", "the invitation deadline was …");
        assert!(refusal_text(&late).starts_with("Die Ladungsfrist ist abgelaufen"));
        let other = ServiceError::conflict("meeting BA/1 has no agenda yet");
        assert_eq!(
            refusal_text(&other),
            "Nicht möglich: meeting BA/1 has no agenda yet"
        );
    }
}
