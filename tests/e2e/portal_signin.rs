//! Browser sign-in on the portal, over HTTP against the real OpenID provider: the whole
//! authorization-code flow, member-only content while signed in, sign-out at the provider, and
//! the attacks on the flow (replayed state, a login begun in another browser, forged sign-out,
//! open redirects). Once with sessions in PostgreSQL, once in Redis.

use crate::identity::{BA_NONPUBLIC, FA_NONPUBLIC, World, world_with};
use crate::oidc::{self, Jar, location};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn set_cookie<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

/// Starts a login at the portal: (provider URL, the browser's login cookie).
async fn begin(w: &World, next: &str) -> (String, String) {
    let r = client()
        .get(format!("{}t/alpha/auth/login?next={next}", w.server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let login = set_cookie(&r, "plenum_login")
        .expect("login cookie")
        .to_owned();
    assert!(
        login.contains("HttpOnly") && login.contains("SameSite=Lax"),
        "{login}"
    );
    (location(&r), cookie_value(&login))
}

async fn get(url: &str, cookies: &str) -> reqwest::Response {
    client()
        .get(url)
        .header("cookie", cookies)
        .send()
        .await
        .unwrap()
}

async fn sign_in_and_out(redis: bool) {
    let w = world_with(redis).await;
    let base = format!("{}t/alpha/", w.server.base);
    let ratsinfo = format!("{base}ratsinfo");

    // Not signed in: the member page sends the browser to sign in, and back afterwards.
    let r = get(&ratsinfo, "").await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        location(&r),
        "/t/alpha/auth/login?next=%2Ft%2Falpha%2Fratsinfo"
    );

    let (authorize, login_cookie) = begin(&w, "%2Ft%2Falpha%2Fratsinfo").await;
    assert!(
        authorize.starts_with(&oidc::issuer("shared")),
        "{authorize}"
    );
    for param in [
        "code_challenge=",
        "code_challenge_method=S256",
        "state=",
        "nonce=",
    ] {
        assert!(authorize.contains(param), "{param} in {authorize}");
    }
    let mut provider = Jar::default();
    let back = oidc::login(&authorize, &mut provider, "alpha-member", "alpha-member-pw")
        .await
        .unwrap();
    assert!(back.starts_with(&format!("{base}auth/callback?")), "{back}");

    // The callback from another browser (no login cookie) is refused, and uses the login up.
    let (authorize2, _) = begin(&w, "").await;
    let back2 = oidc::login(
        &authorize2,
        &mut provider,
        "alpha-member",
        "alpha-member-pw",
    )
    .await
    .unwrap();
    let r = get(&back2, "plenum_login=somebody-else").await;
    assert_eq!(r.status(), 400);
    assert!(set_cookie(&r, "plenum_session").is_none());

    let r = get(&back, &format!("plenum_login={login_cookie}")).await;
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    assert_eq!(location(&r), "/t/alpha/ratsinfo");
    let session = set_cookie(&r, "plenum_session")
        .expect("session cookie")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/t/alpha/"] {
        assert!(session.contains(attribute), "{attribute} in {session}");
    }
    assert!(
        !session.contains("Secure"),
        "plain-HTTP test server: {session}"
    );
    let session_cookie = format!("plenum_session={}", cookie_value(&session));
    // The same callback again (a replayed code and state) is refused.
    let r = get(&back, &format!("plenum_login={login_cookie}")).await;
    assert_eq!(r.status(), 400);

    // Signed in: the member sees their committee's non-public item, not another's.
    let r = get(&ratsinfo, &session_cookie).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "private, no-store");
    let r = get(
        &format!("{base}sitzungen/{}", w.meeting_ba),
        &session_cookie,
    )
    .await;
    assert_eq!(r.headers()["cache-control"], "private, no-store");
    let page = r.text().await.unwrap();
    assert!(page.contains(BA_NONPUBLIC), "{page}");
    let r = get(
        &format!("{base}sitzungen/{}", w.meeting_fa),
        &session_cookie,
    )
    .await;
    let other = r.text().await.unwrap();
    assert!(!other.contains(FA_NONPUBLIC), "{other}");
    assert!(page.contains("Angemeldet als Alpha Member"), "{page}");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("sign-out form with a token")
        .to_owned();
    // The cookie belongs to alpha: beta's address does not know it.
    let r = get(&format!("{}t/beta/", w.server.base), &session_cookie).await;
    assert!(!r.text().await.unwrap().contains("Angemeldet"));

    // A forged sign-out (no or a wrong token) is refused and changes nothing.
    for body in ["", "csrf=forged"] {
        let r = client()
            .post(format!("{base}auth/logout"))
            .header("cookie", &session_cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{body}");
        assert_eq!(r.headers()["x-plenum-error"], "CSRF_FAILED");
    }
    assert_eq!(get(&ratsinfo, &session_cookie).await.status(), 200);

    // Sign-out ends the session here and at the provider, and comes back to the start page.
    let r = client()
        .post(format!("{base}auth/logout"))
        .header("cookie", &session_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(oidc::form(&[("csrf", &csrf)]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        set_cookie(&r, "plenum_session")
            .unwrap()
            .contains("Max-Age=0")
    );
    let end_session = location(&r);
    assert!(
        end_session.starts_with(&format!("{}/session/end", oidc::issuer("shared"))),
        "{end_session}"
    );
    assert!(end_session.contains("id_token_hint="), "{end_session}");
    let r = client()
        .get(&end_session)
        .header("cookie", provider.header())
        .send()
        .await
        .unwrap();
    provider.take(&r);
    assert_eq!(location(&r).split('?').next().unwrap(), base);
    // The provider session is gone too: a new login asks for the password again.
    let (authorize3, _) = begin(&w, "").await;
    let r = client()
        .get(&authorize3)
        .header("cookie", provider.header())
        .send()
        .await
        .unwrap();
    assert!(location(&r).contains("/interaction/"), "{}", location(&r));

    // The old cookie no longer opens anything.
    assert_eq!(get(&ratsinfo, &session_cookie).await.status(), 303);
    let start = get(&base, &session_cookie).await.text().await.unwrap();
    assert!(
        start.contains("Anmelden") && !start.contains(BA_NONPUBLIC),
        "{start}"
    );

    // `next` never leaves the tenant (no open redirect).
    for evil in [
        "https%3A%2F%2Fevil.example%2F",
        "%2F%2Fevil.example%2F",
        "%2Ft%2Fbeta%2F",
    ] {
        let r = client()
            .get(format!("{base}auth/login?next={evil}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        // The pending login remembers only a safe target; finishing it lands on the start page.
        let login = cookie_value(set_cookie(&r, "plenum_login").unwrap());
        let back = oidc::login(
            &location(&r),
            &mut Jar::default(),
            "alpha-member",
            "alpha-member-pw",
        )
        .await
        .unwrap();
        let r = get(&back, &format!("plenum_login={login}")).await;
        assert_eq!(location(&r), "/t/alpha/", "{evil}");
    }
}

#[tokio::test]
async fn sign_in_and_out_with_sessions_in_postgresql() {
    sign_in_and_out(false).await;
}

#[tokio::test]
async fn sign_in_and_out_with_sessions_in_redis() {
    sign_in_and_out(true).await;
}

/// A user of another municipality of the same realm cannot sign in here.
#[tokio::test]
async fn a_user_of_another_organization_cannot_sign_in() {
    let w = world_with(false).await;
    let (authorize, login_cookie) = begin(&w, "").await;
    let back = oidc::login(
        &authorize,
        &mut Jar::default(),
        "beta-member",
        "beta-member-pw",
    )
    .await
    .unwrap();
    let r = get(&back, &format!("plenum_login={login_cookie}")).await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["x-plenum-error"], "TOKEN_ORGANIZATION_REFUSED");
    assert!(set_cookie(&r, "plenum_session").is_none());
}

/// The same sign-in in a real browser: Debian's Chromium driven by playwright-core
/// (`tests/browser/login.mjs`), through the provider's login form and the portal's sign-out
/// button.
#[tokio::test]
async fn sign_in_and_out_in_chromium() {
    let chromium = std::env::var("PLENUM_TEST_CHROMIUM").expect(
        "PLENUM_TEST_CHROMIUM is not set: run the tests with `make test`, which installs Chromium",
    );
    let w = world_with(false).await;
    let base = format!("{}t/alpha/", w.server.base);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/login.mjs");
    let out = tokio::process::Command::new("node")
        .arg(script)
        .args([
            base.as_str(),
            "alpha-member",
            "alpha-member-pw",
            &w.meeting_ba.to_string(),
        ])
        .env("PLENUM_TEST_CHROMIUM", chromium)
        .output()
        .await
        .expect("run node (make test installs the browser test's packages)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let result: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|_| panic!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    assert!(result.get("error").is_none(), "{result:#}");
    assert!(
        result["loginFormAt"]
            .as_str()
            .unwrap()
            .starts_with(&oidc::issuer("shared")),
        "{result:#}"
    );
    assert_eq!(result["afterLogin"], format!("{base}ratsinfo"));
    let member = result["memberPage"].as_str().unwrap();
    assert!(
        member.contains(BA_NONPUBLIC) && !member.contains(FA_NONPUBLIC),
        "{member}"
    );
    let session = result["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "plenum_session")
        .expect("session cookie");
    assert_eq!(session["httpOnly"], true);
    assert_eq!(session["sameSite"], "Lax");
    assert_eq!(session["path"], "/t/alpha/");
    assert_eq!(result["afterLogout"], base);
    let start = result["startPage"].as_str().unwrap();
    assert!(
        start.contains("Anmelden") && !start.contains(BA_NONPUBLIC),
        "{start}"
    );
    // Signed out everywhere: the member page asks for the password again.
    assert!(
        result["afterLogoutRatsinfo"]
            .as_str()
            .unwrap()
            .contains("/interaction/"),
        "{result:#}"
    );
}

/// Signs `user` (password `<user>-pw`) in at `slug`'s portal through the real provider and
/// returns the `Cookie` header value of the session.
pub(crate) async fn sign_in(w: &World, slug: &str, user: &str) -> String {
    let r = client()
        .get(format!("{}t/{slug}/auth/login", w.server.base))
        .send()
        .await
        .unwrap();
    let login = cookie_value(set_cookie(&r, "plenum_login").expect("login cookie"));
    let mut provider = Jar::default();
    let back = oidc::login(&location(&r), &mut provider, user, &format!("{user}-pw"))
        .await
        .unwrap();
    let r = get(&back, &format!("plenum_login={login}")).await;
    let session = set_cookie(&r, "plenum_session").expect("session cookie");
    format!("plenum_session={}", cookie_value(session))
}
