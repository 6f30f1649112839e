//! Support for the end-to-end tests: a fresh database per test on the one PostgreSQL cluster
//! that `make test` starts, in-process servers, and spawned `plenum` processes.

use plenum_config::{ServiceRole, Settings};
use plenum_tenancy::sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::net::TcpListener;

/// A 32-byte internal signing key shared by the processes of one test.
pub const TEST_KEY: &str = "test-signing-key-0123456789abcdef0123";

pub fn server_url() -> String {
    std::env::var("PLENUM_TEST_DATABASE_URL").expect(
        "PLENUM_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts PostgreSQL",
    )
}

/// A database of its own for one test, on the shared test cluster.
pub struct TestDb {
    pub url: String,
    pub name: String,
}

pub async fn fresh_database() -> TestDb {
    let server = server_url();
    let admin = plenum_tenancy::sea_orm::Database::connect(server.clone())
        .await
        .expect("connect to the test cluster");
    let name = format!("t{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let mut url = url::Url::parse(&server).expect("test URL");
    url.set_path(&format!("/{name}"));
    TestDb {
        url: url.to_string(),
        name,
    }
}

impl TestDb {
    /// A plain connection for assertions on the raw database.
    pub async fn raw(&self) -> DatabaseConnection {
        plenum_tenancy::sea_orm::Database::connect(self.url.clone())
            .await
            .expect("connect to test database")
    }

    /// Settings for an all-in-one process on this database.
    pub fn settings(&self) -> Settings {
        let mut s = Settings::default();
        s.database.url = Some(self.url.clone());
        s.database.pool_size = 5;
        s.gateway.tenant_cache_secs = 0;
        s.internal.signing_key = Some(TEST_KEY.to_owned());
        s.server.services = ServiceRole::ALL.to_vec();
        let scratch = std::env::temp_dir().join(format!("plenum-test-{}", self.name));
        s.documents.root = scratch.join("files");
        s.documents.work_dir = scratch.join("work");
        s.search.dir = scratch.join("search");
        // Tests share one Redis: each installation gets its own event stream.
        s.redis.events_stream = format!("plenum:events:{}", self.name);
        s
    }
}

/// An in-process Plenum on a free loopback port.
pub struct Server {
    pub base: String,
    pub app_tenants: Option<std::sync::Arc<plenum_tenants::TenantsService>>,
    pub app_council: Option<std::sync::Arc<plenum_tenants::CouncilService>>,
    pub app_documents: Option<plenum_documents::DocumentsService>,
    pub app_search: Option<plenum_search::SearchService>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn serve(mut settings: Settings) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}/");
    settings.server.public_base_url = url::Url::parse(&base).unwrap();
    // Every process its own index (two replicas on one database do not share one).
    settings.search.dir = settings.search.dir.join(format!("{port}"));
    let app = plenum::app::build(&settings).await.expect("build app");
    let app_tenants = app.tenants.clone();
    let app_council = app.council.clone();
    let app_documents = app.documents.clone();
    let app_search = app.search.clone();
    let task = tokio::spawn(async move {
        plenum::app::serve(app, listener, Duration::from_secs(1))
            .await
            .ok();
    });
    Server {
        base,
        app_tenants,
        app_council,
        app_documents,
        app_search,
        task,
    }
}

/// Path of the `plenum` binary that `make test` builds next to the test binary.
pub fn plenum_bin() -> PathBuf {
    if let Ok(path) = std::env::var("PLENUM_TEST_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test binary path");
    // target/debug/deps/e2e-<hash> -> target/debug/plenum
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .join("plenum");
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build --bin plenum` (make test does)",
        path.display()
    );
    path
}

/// A spawned `plenum` process, killed when dropped.
pub struct Proc {
    pub child: tokio::process::Child,
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.child.start_kill().ok();
    }
}

/// Runs `plenum <args>` to completion with `env`, returning (exit code, stdout, stderr).
pub async fn plenum(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = tokio::process::Command::new(plenum_bin())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run plenum");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Starts `plenum run` with `env` and waits until `/healthz` answers on `port`.
pub async fn spawn_plenum(args: &[&str], env: &[(String, String)], port: u16) -> Proc {
    // Each process gets an index of its own unless the test shares one on purpose.
    let search_dir = std::env::temp_dir()
        .join(format!(
            "plenum-search-{port}-{}",
            uuid::Uuid::new_v4().simple()
        ))
        .to_string_lossy()
        .into_owned();
    let child = tokio::process::Command::new(plenum_bin())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PLENUM_SEARCH__DIR", search_dir)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn plenum");
    let proc = Proc { child };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            && r.status().is_success()
        {
            return proc;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("plenum {args:?} did not come up on port {port}");
}

/// A free loopback port (bound and released; good enough for tests on one machine).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// POSTs a GraphQL query and returns the whole JSON answer.
pub async fn graphql(url: &str, query: &str, headers: &[(&str, &str)]) -> Value {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client
        .post(url)
        .json(&serde_json::json!({ "query": query }));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request
        .send()
        .await
        .expect("graphql request")
        .json()
        .await
        .expect("graphql JSON")
}

/// The status a plain GET of `url` answers with (redirects not followed).
pub async fn status_of(url: &str) -> u16 {
    http().get(url).send().await.expect("GET").status().as_u16()
}

/// The body of a plain GET of `url`.
pub async fn text_of(url: &str) -> String {
    http()
        .get(url)
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body")
}

/// A client that does not follow redirects, so tests see them.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}
