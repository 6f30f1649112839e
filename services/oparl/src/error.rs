//! OParl error responses (§2.10): the proper HTTP status and an Error object whose `message`
//! is German for the people using the data and whose `debug` is Plenum's stable error code.

use axum::http::StatusCode;
use axum::response::Response;
use plenum_errors::{ErrorCode, ServiceError};

#[derive(Debug)]
pub(crate) struct OparlError {
    pub status: StatusCode,
    pub message: String,
    pub code: ErrorCode,
}

impl OparlError {
    pub fn bad_request(message: impl Into<String>) -> OparlError {
        OparlError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            code: ErrorCode::ValidationFailed,
        }
    }

    pub fn not_found() -> OparlError {
        OparlError {
            status: StatusCode::NOT_FOUND,
            message: "Dieses Objekt gibt es nicht, oder es ist nicht öffentlich.".to_owned(),
            code: ErrorCode::NotFound,
        }
    }

    pub fn response(&self) -> Response {
        let body = serde_json::json!({
            "type": crate::render::type_url("Error"),
            "message": self.message,
            "debug": self.code.as_str(),
        });
        crate::http::json_response(self.status, &body, None)
    }
}

impl From<ServiceError> for OparlError {
    fn from(err: ServiceError) -> OparlError {
        let code = err.code;
        let message = match code {
            ErrorCode::NotFound => return OparlError::not_found(),
            ErrorCode::ValidationFailed => err.message,
            ErrorCode::RateLimited => "Zu viele Anfragen; bitte später erneut versuchen.".into(),
            ErrorCode::Unavailable => "Der Dienst ist gerade nicht erreichbar.".into(),
            _ => "Die Anfrage konnte nicht beantwortet werden.".into(),
        };
        OparlError {
            status: StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_GATEWAY),
            message,
            code,
        }
    }
}
