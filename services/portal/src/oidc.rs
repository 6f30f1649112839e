//! The relying party: the authorization-code flow with PKCE, state and nonce through the
//! `openidconnect` crate, on our own reqwest client (no redirects followed, short timeouts).

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AsyncHttpClient, AuthorizationCode, Client, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    HttpClientError, HttpRequest, HttpResponse, IdToken, IdTokenFields, IssuerUrl, LogoutRequest,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout,
    RedirectUrl, Scope, StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use plenum_errors::{ServiceError, ServiceResult};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a provider's discovery document is reused.
const DISCOVERY_TTL: Duration = Duration::from_secs(600);

#[derive(Clone)]
pub struct OidcHttp(reqwest::Client);

impl OidcHttp {
    pub fn new() -> Self {
        OidcHttp(
            reqwest::Client::builder()
                // Following redirects from a provider would be an SSRF door.
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(Duration::from_secs(5))
                .timeout(Duration::from_secs(10))
                .build()
                .expect("HTTP client"),
        )
    }
}

impl<'c> AsyncHttpClient<'c> for OidcHttp {
    type Error = HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request: reqwest::Request = request.try_into().map_err(Box::new)?;
            let response = self.0.execute(request).await.map_err(Box::new)?;
            let mut builder = openidconnect::http::Response::builder()
                .status(response.status())
                .version(response.version());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await.map_err(Box::new)?;
            builder.body(body.to_vec()).map_err(HttpClientError::Http)
        })
    }
}

/// The claims beyond the standard ones (Keycloak's `realm_access`, `groups`, `organization`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    pub extra: HashMap<String, serde_json::Value>,
}
impl AdditionalClaims for ExtraClaims {}

type TokenFields = IdTokenFields<
    ExtraClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<TokenFields, CoreTokenType>;
pub type PlenumIdToken = IdToken<
    ExtraClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type RpClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

fn failed(what: &str, e: impl std::fmt::Display) -> ServiceError {
    tracing::warn!(error = %e, "{what}");
    ServiceError::unavailable(what.to_owned())
}

/// Which client of which provider, and where the provider sends the browser back.
pub struct ClientRef<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub secret: &'a str,
    pub redirect: &'a str,
}

/// A started login: what the callback needs to finish it.
pub struct Started {
    pub url: url::Url,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// What a finished login yields.
pub struct Finished {
    /// Every claim of the verified ID token (standard and extra).
    pub claims: serde_json::Value,
    /// The raw ID token, for the provider's logout (`id_token_hint`).
    pub id_token: String,
}

pub struct RelyingParty {
    http: OidcHttp,
    discovered: Mutex<HashMap<String, (Instant, ProviderMetadataWithLogout)>>,
}

impl RelyingParty {
    pub fn new() -> Self {
        RelyingParty {
            http: OidcHttp::new(),
            discovered: Mutex::new(HashMap::new()),
        }
    }

    async fn metadata(&self, issuer: &str) -> ServiceResult<ProviderMetadataWithLogout> {
        if let Some((at, meta)) = self.discovered.lock().expect("discovery cache").get(issuer)
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(meta.clone());
        }
        let issuer_url =
            IssuerUrl::new(issuer.to_owned()).map_err(|e| failed("the issuer is not a URL", e))?;
        let meta = ProviderMetadataWithLogout::discover_async(issuer_url, &self.http)
            .await
            .map_err(|e| failed("the sign-in provider cannot be reached", e))?;
        self.discovered
            .lock()
            .expect("discovery cache")
            .insert(issuer.to_owned(), (Instant::now(), meta.clone()));
        Ok(meta)
    }

    async fn client(&self, to: &ClientRef<'_>) -> ServiceResult<RpClient> {
        let meta = self.metadata(to.issuer).await?;
        let redirect =
            RedirectUrl::new(to.redirect.to_owned()).map_err(|e| failed("bad redirect URL", e))?;
        Ok(RpClient::from_provider_metadata(
            meta,
            ClientId::new(to.client_id.to_owned()),
            Some(ClientSecret::new(to.secret.to_owned())),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider URL to send the browser to, with a fresh state, nonce and PKCE verifier.
    pub async fn start(&self, to: &ClientRef<'_>) -> ServiceResult<Started> {
        let client = self.client(to).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Started {
            url,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code and verifies the ID token (signature, issuer, audience, expiry,
    /// nonce; RS256/ES256 only).
    pub async fn finish(
        &self,
        to: &ClientRef<'_>,
        code: String,
        nonce: String,
        verifier: String,
    ) -> ServiceResult<Finished> {
        let client = self.client(to).await?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| failed("the provider has no token endpoint", e))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| failed("the sign-in code was not accepted", e))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| failed("the provider sent no ID token", "missing id_token"))?;
        let token_verifier = client.id_token_verifier().set_allowed_algs([
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        ]);
        let claims = id_token
            .claims(&token_verifier, &Nonce::new(nonce))
            .map_err(|e| failed("the ID token did not verify", e))?;
        let claims = serde_json::to_value(claims).map_err(ServiceError::internal)?;
        Ok(Finished {
            claims,
            id_token: id_token.to_string(),
        })
    }

    /// The provider's logout URL (RP-initiated logout), if it has one.
    pub async fn logout_url(
        &self,
        issuer: &str,
        client_id: &str,
        id_token: &str,
        after: &str,
    ) -> ServiceResult<Option<url::Url>> {
        let meta = self.metadata(issuer).await?;
        let Some(endpoint) = meta.additional_metadata().end_session_endpoint.clone() else {
            return Ok(None);
        };
        let after = PostLogoutRedirectUrl::new(after.to_owned())
            .map_err(|e| failed("bad post-logout URL", e))?;
        let mut request = LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(client_id.to_owned()))
            .set_post_logout_redirect_uri(after);
        if let Ok(hint) = id_token.parse::<PlenumIdToken>() {
            request = request.set_id_token_hint(&hint);
        }
        Ok(Some(request.http_get_url()))
    }
}
