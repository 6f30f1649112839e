//! A client of the test OpenID provider (`deploy/oidc-provider`, started by `make test`): the
//! real authorization-code flow with PKCE over HTTP, client credentials, and the provider's
//! test endpoints that sign arbitrary claims with a realm's real key and rotate it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const CLIENT: &str = "plenum";

pub fn base() -> String {
    std::env::var("PLENUM_TEST_OIDC_URL").expect(
        "PLENUM_TEST_OIDC_URL is not set: run the tests with `make test`, which starts the OpenID provider",
    )
}

pub fn issuer(realm: &str) -> String {
    format!("{}/realms/{realm}", base())
}

pub fn secret(realm: &str) -> &'static str {
    match realm {
        "gamma" => "gamma-secret",
        _ => "plenum-dev-secret",
    }
}

/// The `auth.oidc` setting for a tenant of `realm` (shared realms name the organization).
pub fn tenant_config(realm: &str, organization: Option<&str>) -> String {
    // The portal reads the client secret from a file, as from a mounted Kubernetes secret.
    let secret_file = std::env::temp_dir().join(format!("plenum-test-oidc-{realm}.secret"));
    std::fs::write(&secret_file, secret(realm)).unwrap();
    let mut config = json!({
        "issuer": issuer(realm),
        "client_id": CLIENT,
        "client_secret_file": secret_file,
    });
    if let Some(org) = organization {
        config["organization"] = json!(org);
    }
    config.to_string()
}

const FORM: &str = "application/x-www-form-urlencoded";

/// A form body (reqwest's `form` feature would rebuild reqwest for the tests alone).
pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Cookies by name, as a browser would keep them for this provider (paths ignored: the
/// provider checks names, and sending one more cookie is harmless).
#[derive(Default)]
pub struct Jar(BTreeMap<String, String>);

impl Jar {
    pub fn take(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap();
            if let Some((name, v)) = pair.split_once('=') {
                if v.is_empty() {
                    self.0.remove(name.trim());
                } else {
                    self.0.insert(name.trim().to_owned(), v.to_owned());
                }
            }
        }
    }

    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .unwrap_or_else(|| panic!("no redirect from {}: {}", response.url(), response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Follows the provider's login form from an authorization URL to the redirect carrying the
/// code: GET /auth → form → POST credentials → resume → redirect_uri?code=…
pub async fn login(
    authorize_url: &str,
    jar: &mut Jar,
    username: &str,
    password: &str,
) -> Result<String, u16> {
    let http = client();
    let r = http
        .get(authorize_url)
        .header("cookie", jar.header())
        .send()
        .await
        .unwrap();
    jar.take(&r);
    let mut next = location(&r);
    if next.contains("/interaction/") {
        let r = http
            .get(&next)
            .header("cookie", jar.header())
            .send()
            .await
            .unwrap();
        jar.take(&r);
        let r = http
            .post(format!("{next}/login"))
            .header("cookie", jar.header())
            .header("content-type", FORM)
            .body(form(&[("username", username), ("password", password)]))
            .send()
            .await
            .unwrap();
        jar.take(&r);
        if !r.status().is_redirection() {
            return Err(r.status().as_u16());
        }
        let resume = location(&r);
        let r = http
            .get(&resume)
            .header("cookie", jar.header())
            .send()
            .await
            .unwrap();
        jar.take(&r);
        next = location(&r);
    }
    Ok(next)
}

pub struct Tokens {
    pub access: String,
}

/// A user's tokens through the real authorization-code flow with PKCE, state and nonce.
pub async fn user_tokens(realm: &str, username: &str) -> Tokens {
    // Any loopback port is allowed; the path must be one the realm's client registers.
    let slug = if realm == "gamma" { "gamma" } else { "alpha" };
    let redirect = &format!("http://127.0.0.1:45678/t/{slug}/auth/callback");
    let verifier = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut url = url::Url::parse(&format!("{}/auth", issuer(realm))).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", CLIENT)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile email")
        .append_pair("redirect_uri", redirect.as_str())
        .append_pair("state", "s-1")
        .append_pair("nonce", "n-1")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let back = login(
        url.as_str(),
        &mut Jar::default(),
        username,
        &format!("{username}-pw"),
    )
    .await
    .unwrap_or_else(|status| panic!("login of {username} failed with {status}"));
    let back = url::Url::parse(&back).unwrap();
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code in the redirect");
    let answer: Value = client()
        .post(format!("{}/token", issuer(realm)))
        .basic_auth(CLIENT, Some(secret(realm)))
        .header("content-type", FORM)
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect.as_str()),
            ("code_verifier", &verifier),
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Tokens {
        access: answer["access_token"]
            .as_str()
            .expect("access token")
            .to_owned(),
    }
}

/// A machine token (client credentials).
pub async fn client_token(realm: &str) -> String {
    let answer: Value = client()
        .post(format!("{}/token", issuer(realm)))
        .basic_auth(CLIENT, Some(secret(realm)))
        .header("content-type", FORM)
        .body(form(&[("grant_type", "client_credentials")]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

/// A token with exactly these claims (and header fields), signed with the realm's real key.
pub async fn sign(realm: &str, claims: Value, header: Value) -> String {
    let answer: Value = client()
        .post(format!("{}/__test/sign", issuer(realm)))
        .json(&json!({ "claims": claims, "header": header }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["token"].as_str().expect("signed token").to_owned()
}

/// Rotates the realm's signing key; returns the new key id.
pub async fn rotate(realm: &str) -> String {
    let answer: Value = client()
        .post(format!("{}/__test/rotate", issuer(realm)))
        .json(&json!({ "keep_old": false }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["kid"].as_str().expect("new kid").to_owned()
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
