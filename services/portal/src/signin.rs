//! Browser sign-in: `<base>/auth/login`, `<base>/auth/callback`, `<base>/auth/logout`, and the
//! session a signed-in request carries.
//!
//! The cookie holds only a random id (HttpOnly, SameSite=Lax, Secure on HTTPS, scoped to the
//! tenant's path); tokens and claims stay on the server. A second, short-lived cookie binds a
//! pending login to the browser that started it, so that nobody can slip their own login into
//! someone else's browser. Signing out is a POST with the session's anti-forgery token.

use crate::oidc::{ClientRef, RelyingParty};
use crate::sessions::{SessionStore, digest, random_token};
use crate::{Portal, esc, page};
use axum::body::Bytes;
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use plenum_errors::{ErrorCode, ServiceError, ServiceResult};
use plenum_gateway::ResolvedTenant;
use plenum_identity::claims::ConfigCache;
use plenum_identity::{Identity, OidcTenantConfig};
use plenum_tenants::TenantInfo;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

pub(crate) const SESSION_COOKIE: &str = "plenum_session";
const LOGIN_COOKIE: &str = "plenum_login";
const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
const LOGIN_TTL: Duration = Duration::from_secs(600);

#[derive(Serialize, Deserialize)]
struct Session {
    tenant: Uuid,
    claims: Value,
    id_token: String,
    csrf: String,
    /// When this user signed in before this session ("new since your last sign-in").
    #[serde(default)]
    previous_sign_in: Option<DateTime<Utc>>,
}

/// How long Plenum remembers a user's last sign-in.
const LAST_SIGN_IN_TTL: Duration = Duration::from_secs(400 * 24 * 3600);

#[derive(Serialize, Deserialize)]
struct Pending {
    tenant: Uuid,
    nonce: String,
    verifier: String,
    /// Digest of the login cookie of the browser that started this login.
    browser: String,
    next: String,
}

/// A signed-in visitor of one tenant.
pub struct User {
    pub identity: Identity,
    pub name: String,
    /// The anti-forgery token forms of this session carry.
    pub csrf: String,
    /// The sign-in before this session, if Plenum remembers one.
    pub previous_sign_in: Option<DateTime<Utc>>,
    /// The provider's claims, kept for the personal calendar feed.
    pub(crate) claims: Value,
    secret: String,
}

pub struct SignIn {
    rp: RelyingParty,
    store: SessionStore,
    configs: ConfigCache,
}

impl SignIn {
    pub fn new(store: SessionStore, config_ttl: Duration) -> Self {
        SignIn {
            rp: RelyingParty::new(),
            store,
            configs: ConfigCache::new(config_ttl),
        }
    }
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The path part of the tenant's base URL (`/t/alpha/` or `/`), and whether it is HTTPS.
fn base(tenant: &TenantInfo) -> (String, bool) {
    match url::Url::parse(&tenant.base_url) {
        Ok(url) => (url.path().to_owned(), url.scheme() == "https"),
        Err(_) => ("/".to_owned(), false),
    }
}

pub(crate) fn set_cookie(
    tenant: &TenantInfo,
    path_suffix: &str,
    name: &str,
    value: &str,
    max_age: u64,
) -> HeaderValue {
    let (path, secure) = base(tenant);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}{path_suffix}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .expect("cookie values are URL-safe base64")
}

pub(crate) fn redirect(to: &str, cookies: Vec<HeaderValue>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    for c in cookies {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

fn problem(
    status: StatusCode,
    code: ErrorCode,
    title: &str,
    text: &str,
    tenant: &TenantInfo,
) -> Response {
    let (path, _) = base(tenant);
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"{}\">Zur Startseite</a></p>",
        esc(title),
        esc(text),
        esc(&path)
    );
    let mut response = (status, Html(page(title, &body))).into_response();
    if let Ok(v) = HeaderValue::from_str(code.as_str()) {
        response.headers_mut().insert("x-plenum-error", v);
    }
    response
}

fn unavailable(err: ServiceError, tenant: &TenantInfo) -> Response {
    tracing::warn!(error = %err, "sign-in failed");
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        err.code,
        "Anmeldung gerade nicht möglich",
        "Der Anmeldedienst ist im Moment nicht erreichbar. Bitte versuchen Sie es später erneut.",
        tenant,
    )
}

/// Where to go after signing in: a path inside the tenant, nothing else (no open redirect).
fn safe_next(next: Option<&str>, tenant: &TenantInfo) -> String {
    let (path, _) = base(tenant);
    match next {
        Some(n) if n.starts_with(&path) && !n.contains("//") && !n.contains('\\') => n.to_owned(),
        _ => path,
    }
}

/// How long a personal calendar link works without being used to renew it; calendar apps
/// poll it, but the store only counts writes, so it is long.
const FEED_TTL: Duration = Duration::from_secs(400 * 24 * 3600);

#[derive(Serialize, Deserialize)]
struct FeedGrant {
    tenant: Uuid,
    claims: Value,
}

impl Portal {
    /// The secret of `user`'s personal calendar link; a new one (and the old one revoked)
    /// with `renew`.
    pub(crate) async fn feed_token(
        &self,
        user: &User,
        tenant: &TenantInfo,
        renew: bool,
    ) -> ServiceResult<String> {
        let who = format!("{}:{}", tenant.id, user.identity.subject());
        let store = &self.signin.store;
        let current = store.get("feed-of", &who).await?;
        if let (Some(token), false) = (&current, renew) {
            return Ok(token.clone());
        }
        if let Some(old) = current {
            store.take("feed", &old).await?;
        }
        let token = random_token();
        let grant = FeedGrant {
            tenant: tenant.id,
            claims: user.claims.clone(),
        };
        let value = serde_json::to_string(&grant).expect("grant serialises");
        store.put("feed", &token, &value, FEED_TTL).await?;
        store.put("feed-of", &who, &token, FEED_TTL).await?;
        Ok(token)
    }

    /// The identity a personal calendar link stands for, mapped with the tenant's current
    /// claim mapping; `None` for an unknown or revoked link.
    pub(crate) async fn feed_identity(
        &self,
        tenant: &TenantInfo,
        token: &str,
    ) -> ServiceResult<Option<Identity>> {
        let Some(stored) = self.signin.store.get("feed", token).await? else {
            return Ok(None);
        };
        let Ok(grant) = serde_json::from_str::<FeedGrant>(&stored) else {
            return Ok(None);
        };
        if grant.tenant != tenant.id {
            return Ok(None);
        }
        let Some(config) = self.sign_in_config(tenant).await? else {
            return Ok(None);
        };
        Ok(Some(Identity::verified_user(
            tenant.id,
            &grant.claims,
            &config,
        )))
    }

    /// The tenant's sign-in configuration, cached for the configured time.
    async fn sign_in_config(
        &self,
        tenant: &TenantInfo,
    ) -> ServiceResult<Option<Arc<OidcTenantConfig>>> {
        if let Some(config) = self.signin.configs.get(tenant.id) {
            return Ok(config);
        }
        // Sign-in settings are for administrators; the portal reads them as Plenum itself.
        let data = self
            .gateway
            .execute_json(
                &Identity::operator_service("portal-sign-in"),
                Some(tenant),
                "{ tenant { settings { key value } } }",
                json!({}),
            )
            .await?;
        let settings = data["tenant"]["settings"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok(self.signin.configs.put_from_settings(
            tenant.id,
            settings.iter().map(|s| {
                (
                    s["key"].as_str().unwrap_or_default(),
                    s["value"].as_str().unwrap_or_default(),
                )
            }),
        ))
    }

    /// The signed-in user of this request, if its session is live and belongs to `tenant`.
    pub async fn user(&self, headers: &HeaderMap, tenant: &TenantInfo) -> Option<User> {
        let secret = cookie(headers, SESSION_COOKIE)?;
        let stored = self.signin.store.get("session", secret).await.ok()??;
        let session: Session = serde_json::from_str(&stored).ok()?;
        if session.tenant != tenant.id {
            return None;
        }
        let config = self.sign_in_config(tenant).await.ok()??;
        let identity = Identity::verified_user(tenant.id, &session.claims, &config);
        let name = identity
            .name()
            .map(str::to_owned)
            .unwrap_or_else(|| identity.subject().to_owned());
        Some(User {
            identity,
            name,
            csrf: session.csrf,
            previous_sign_in: session.previous_sign_in,
            claims: session.claims,
            secret: secret.to_owned(),
        })
    }
}

fn client_secret(config: &OidcTenantConfig) -> ServiceResult<String> {
    let path = config.client_secret_file.as_ref().ok_or_else(|| {
        ServiceError::new(
            ErrorCode::Unavailable,
            "auth.oidc.client_secret_file is not set",
        )
    })?;
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .map_err(|e| ServiceError::internal(format!("reading the client secret {path}: {e}")))
}

fn not_configured(tenant: &TenantInfo) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "Anmeldung nicht eingerichtet",
        "Für diese Kommune ist keine Anmeldung eingerichtet.",
        tenant,
    )
}

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    next: Option<String>,
}

pub(crate) async fn login(
    State(portal): State<Arc<Portal>>,
    Extension(ResolvedTenant(tenant)): Extension<ResolvedTenant>,
    Query(query): Query<LoginQuery>,
) -> Response {
    let config = match portal.sign_in_config(&tenant).await {
        Ok(Some(config)) => config,
        Ok(None) => return not_configured(&tenant),
        Err(e) => return unavailable(e, &tenant),
    };
    let started = async {
        let secret = client_secret(&config)?;
        let redirect = format!("{}auth/callback", tenant.base_url);
        let to = ClientRef {
            issuer: &config.issuer,
            client_id: &config.client_id,
            secret: &secret,
            redirect: &redirect,
        };
        portal.signin.rp.start(&to).await
    };
    let started = match started.await {
        Ok(s) => s,
        Err(e) => return unavailable(e, &tenant),
    };
    let browser = random_token();
    let pending = Pending {
        tenant: tenant.id,
        nonce: started.nonce,
        verifier: started.verifier,
        browser: digest(&browser),
        next: safe_next(query.next.as_deref(), &tenant),
    };
    let value = serde_json::to_string(&pending).expect("pending login serialises");
    if let Err(e) = portal
        .signin
        .store
        .put("login", &started.state, &value, LOGIN_TTL)
        .await
    {
        return unavailable(e, &tenant);
    }
    let login_cookie = set_cookie(
        &tenant,
        "auth/",
        LOGIN_COOKIE,
        &browser,
        LOGIN_TTL.as_secs(),
    );
    redirect(started.url.as_str(), vec![login_cookie])
}

#[derive(Deserialize)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub(crate) async fn callback(
    State(portal): State<Arc<Portal>>,
    Extension(ResolvedTenant(tenant)): Extension<ResolvedTenant>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let refused = |text: &str| {
        problem(
            StatusCode::BAD_REQUEST,
            ErrorCode::Unauthenticated,
            "Anmeldung fehlgeschlagen",
            text,
            &tenant,
        )
    };
    if query.error.is_some() {
        return refused("Die Anmeldung wurde abgebrochen.");
    }
    let (Some(code), Some(state)) = (query.code, query.state) else {
        return refused("Der Anmeldedienst hat keine gültige Antwort geschickt.");
    };
    // The pending login is used up whatever happens next: a code or state can't be replayed.
    let pending = match portal.signin.store.take("login", &state).await {
        Ok(Some(p)) => serde_json::from_str::<Pending>(&p).ok(),
        Ok(None) => None,
        Err(e) => return unavailable(e, &tenant),
    };
    let Some(pending) = pending else {
        return refused(
            "Die Anmeldung ist abgelaufen oder ungültig. Bitte melden Sie sich erneut an.",
        );
    };
    let same_browser = cookie(&headers, LOGIN_COOKIE).is_some_and(|c| digest(c) == pending.browser);
    if pending.tenant != tenant.id || !same_browser {
        return refused(
            "Die Anmeldung wurde in einem anderen Browser begonnen. Bitte melden Sie sich erneut an.",
        );
    }
    let config = match portal.sign_in_config(&tenant).await {
        Ok(Some(config)) => config,
        Ok(None) => return not_configured(&tenant),
        Err(e) => return unavailable(e, &tenant),
    };
    let finished = async {
        let secret = client_secret(&config)?;
        let redirect = format!("{}auth/callback", tenant.base_url);
        let to = ClientRef {
            issuer: &config.issuer,
            client_id: &config.client_id,
            secret: &secret,
            redirect: &redirect,
        };
        portal
            .signin
            .rp
            .finish(&to, code, pending.nonce, pending.verifier)
            .await
    };
    let finished = match finished.await {
        Ok(f) => f,
        Err(e) if e.code == ErrorCode::Unavailable => {
            return refused("Die Anmeldung konnte nicht bestätigt werden.");
        }
        Err(e) => return unavailable(e, &tenant),
    };
    if let Some(org) = &config.organization
        && !config.claims.organizations(&finished.claims).contains(org)
    {
        return problem(
            StatusCode::FORBIDDEN,
            ErrorCode::TokenOrganizationRefused,
            "Anmeldung nicht möglich",
            "Ihr Zugang gehört zu einer anderen Kommune.",
            &tenant,
        );
    }
    // Remember this sign-in and recall the one before (best effort: a store error only
    // loses the "new since" list).
    let subject = Identity::verified_user(tenant.id, &finished.claims, &config)
        .subject()
        .to_owned();
    let who = format!("{}:{subject}", tenant.id);
    let previous_sign_in = match portal.signin.store.get("last-sign-in", &who).await {
        Ok(v) => v.and_then(|v| v.parse::<DateTime<Utc>>().ok()),
        Err(_) => None,
    };
    let _ = portal
        .signin
        .store
        .put(
            "last-sign-in",
            &who,
            &Utc::now().to_rfc3339(),
            LAST_SIGN_IN_TTL,
        )
        .await;
    let secret = random_token();
    let session = Session {
        tenant: tenant.id,
        claims: finished.claims,
        id_token: finished.id_token,
        csrf: random_token(),
        previous_sign_in,
    };
    let value = serde_json::to_string(&session).expect("session serialises");
    if let Err(e) = portal
        .signin
        .store
        .put("session", &secret, &value, SESSION_TTL)
        .await
    {
        return unavailable(e, &tenant);
    }
    redirect(
        &pending.next,
        vec![
            set_cookie(&tenant, "", SESSION_COOKIE, &secret, SESSION_TTL.as_secs()),
            set_cookie(&tenant, "auth/", LOGIN_COOKIE, "", 0),
        ],
    )
}

/// Ends the session here and at the provider.
pub(crate) async fn logout(
    State(portal): State<Arc<Portal>>,
    Extension(ResolvedTenant(tenant)): Extension<ResolvedTenant>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (path, _) = base(&tenant);
    let Some(user) = portal.user(&headers, &tenant).await else {
        return redirect(&path, vec![set_cookie(&tenant, "", SESSION_COOKIE, "", 0)]);
    };
    let sent = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned());
    if sent.as_deref().map(digest) != Some(digest(&user.csrf)) {
        return problem(
            StatusCode::FORBIDDEN,
            ErrorCode::CsrfFailed,
            "Abmeldung nicht bestätigt",
            "Das Formular war ungültig oder veraltet. Bitte laden Sie die Seite neu und versuchen Sie es erneut.",
            &tenant,
        );
    }
    let session = match portal.signin.store.take("session", &user.secret).await {
        Ok(s) => s.and_then(|s| serde_json::from_str::<Session>(&s).ok()),
        Err(e) => return unavailable(e, &tenant),
    };
    let clear = set_cookie(&tenant, "", SESSION_COOKIE, "", 0);
    let provider = match (session, portal.sign_in_config(&tenant).await) {
        (Some(session), Ok(Some(config))) => portal
            .signin
            .rp
            .logout_url(
                &config.issuer,
                &config.client_id,
                &session.id_token,
                &tenant.base_url,
            )
            .await
            .ok()
            .flatten(),
        _ => None,
    };
    match provider {
        Some(url) => redirect(url.as_str(), vec![clear]),
        None => redirect(&path, vec![clear]),
    }
}
