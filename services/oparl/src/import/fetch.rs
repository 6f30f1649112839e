//! Getting OParl documents from a server or from a saved crawl.
//!
//! Real servers are slow, fail now and then and sometimes answer HTML or broken JSON
//! (QUIRKS.md): each request has a time limit, 5xx/429 and transport errors are retried with
//! growing pauses, at most `concurrency` requests run at once (politeness), and an answer that
//! is not JSON is an error that names the URL, so that the caller can skip and report it.
//!
//! A walk of a slow server can take hours. With a [`Journal`], every answer is also kept on
//! disk, and a run after an interruption reads what the interrupted one had fetched instead
//! of asking the server again: it resumes where that one stopped.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Why a document could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FetchError {
    /// The server says there is no such document (404/410).
    NotFound,
    /// It answered, but not with JSON (an HTML error page, invalid JSON).
    NotJson(String),
    /// It did not answer usefully after every retry.
    Failed(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::NotFound => write!(f, "not found"),
            FetchError::NotJson(why) => write!(f, "not JSON: {why}"),
            FetchError::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct HttpOptions {
    pub timeout: Duration,
    pub retries: u32,
    /// The first pause before a retry; each further one doubles it.
    pub backoff: Duration,
    pub concurrency: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            // SD.NET servers were seen taking 38 s for a page.
            timeout: Duration::from_secs(120),
            retries: 4,
            backoff: Duration::from_millis(500),
            concurrency: 4,
        }
    }
}

/// Where documents come from.
#[derive(Clone)]
pub(crate) enum Fetcher {
    Http {
        client: reqwest::Client,
        options: HttpOptions,
        permits: Arc<Semaphore>,
        journal: Option<Journal>,
    },
    /// A saved crawl: `<dir>/<path below the API root>.json`, pages as `<list>_page-N.json`.
    Directory { root: PathBuf, api_root: String },
}

impl Fetcher {
    pub fn http(options: HttpOptions, journal: Option<Journal>) -> Result<Fetcher, String> {
        Ok(Fetcher::Http {
            client: client(&options)?,
            permits: Arc::new(Semaphore::new(options.concurrency.max(1))),
            options,
            journal,
        })
    }

    /// A saved crawl whose `system.json` names the API root its URLs start with.
    pub fn directory(root: &Path) -> Result<Fetcher, String> {
        let system = std::fs::read_to_string(root.join("system.json"))
            .map_err(|e| format!("{}: {e}", root.join("system.json").display()))?;
        let system: Value = serde_json::from_str(&system)
            .map_err(|e| format!("{}: {e}", root.join("system.json").display()))?;
        let id = system["id"]
            .as_str()
            .ok_or("system.json has no id")?
            .to_owned();
        let api_root = id
            .strip_suffix("system")
            .ok_or("the System's id does not end in `system`")?
            .to_owned();
        Ok(Fetcher::Directory {
            root: root.to_owned(),
            api_root,
        })
    }

    pub async fn get(&self, url: &str) -> Result<Value, FetchError> {
        match self {
            Fetcher::Http {
                client,
                options,
                permits,
                journal,
            } => {
                if let Some(kept) = journal.as_ref().and_then(|j| j.read(url)) {
                    return kept.map_or(Err(FetchError::NotFound), |bytes| parse(&bytes));
                }
                let _permit = permits
                    .acquire()
                    .await
                    .expect("the semaphore is never closed");
                let bytes = match get_http(client, options, url).await {
                    Err(FetchError::NotFound) => {
                        if let Some(journal) = journal {
                            journal.write_gone(url);
                        }
                        return Err(FetchError::NotFound);
                    }
                    other => other?,
                };
                let value = parse(&bytes)?;
                if let Some(journal) = journal {
                    journal.write(url, &bytes);
                }
                Ok(value)
            }
            Fetcher::Directory { root, api_root } => get_file(root, api_root, url),
        }
    }
}

/// The answers of an import's source kept on disk until the import has been written.
#[derive(Debug, Clone)]
pub struct Journal {
    dir: PathBuf,
}

impl Journal {
    /// The journal in `dir`, created when missing. What an earlier run left there is used
    /// unless it was last written to more than `max_age` ago: then the source may have
    /// changed too much for a walk to go on from there.
    pub fn open(dir: &Path, max_age: Duration) -> Result<Journal, String> {
        let stale = std::fs::metadata(dir)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > max_age);
        if stale {
            std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Journal {
            dir: dir.to_owned(),
        })
    }

    /// How many answers it holds (at the start: what an interrupted run left).
    pub fn answers(&self) -> usize {
        std::fs::read_dir(&self.dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                    .count()
            })
            .unwrap_or(0)
    }

    /// Forgets everything: the import it served is written.
    pub fn clear(&self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }

    fn path(&self, url: &str) -> PathBuf {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(url.as_bytes());
        let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.json"))
    }

    /// The kept answer: `Some(None)` when the source said there is no such document.
    fn read(&self, url: &str) -> Option<Option<Vec<u8>>> {
        let path = self.path(url);
        if let Ok(bytes) = std::fs::read(&path) {
            return Some(Some(bytes));
        }
        path.with_extension("gone").exists().then_some(None)
    }

    fn write_gone(&self, url: &str) {
        std::fs::write(self.path(url).with_extension("gone"), b"").ok();
    }

    /// Written under a temporary name and renamed: an interruption leaves no half answer.
    fn write(&self, url: &str, bytes: &[u8]) {
        let path = self.path(url);
        let partial = path.with_extension("partial");
        if std::fs::write(&partial, bytes).is_ok() {
            std::fs::rename(&partial, &path).ok();
        }
    }
}

/// The HTTP client of an import: its time limit and our user agent.
pub(crate) fn client(options: &HttpOptions) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(options.timeout)
        .user_agent(concat!("Plenum-OParl-Import/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

/// What one answer of a retried GET came to.
pub(crate) enum Answer<T> {
    /// The outcome: success, or a failure that trying again would not change.
    Done(Result<T, FetchError>),
    /// Worth another try (the body broke off).
    Retry(String),
}

/// A GET of `url` under the import's retry policy: server errors, 429 and transport errors
/// are tried again with growing pauses; any other answer goes to `read`, which says what it
/// means. For list pages and objects as for the files' bytes.
pub(crate) async fn get_with_retries<T>(
    client: &reqwest::Client,
    options: &HttpOptions,
    url: &str,
    read: impl AsyncFn(reqwest::Response) -> Answer<T>,
) -> Result<T, FetchError> {
    let mut pause = options.backoff;
    let mut last = String::new();
    for attempt in 0..=options.retries {
        if attempt > 0 {
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
        match client.get(url).send().await {
            Err(e) => last = e.to_string(),
            Ok(r)
                if r.status().is_server_error()
                    || r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS =>
            {
                last = format!("HTTP {}", r.status());
            }
            Ok(r) => match read(r).await {
                Answer::Done(outcome) => return outcome,
                Answer::Retry(why) => last = why,
            },
        }
    }
    Err(FetchError::Failed(format!(
        "{last} (tried {} times)",
        options.retries + 1
    )))
}

async fn get_http(
    client: &reqwest::Client,
    options: &HttpOptions,
    url: &str,
) -> Result<Vec<u8>, FetchError> {
    get_with_retries(client, options, url, async |response| {
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Answer::Done(Err(FetchError::NotFound));
        }
        if !status.is_success() {
            return Answer::Done(Err(FetchError::Failed(format!("HTTP {status}"))));
        }
        match response.bytes().await {
            Ok(bytes) => Answer::Done(Ok(bytes.to_vec())),
            Err(e) => Answer::Retry(e.to_string()),
        }
    })
    .await
}

fn parse(bytes: &[u8]) -> Result<Value, FetchError> {
    // A BOM is not allowed, but harmless to skip.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    serde_json::from_slice(bytes).map_err(|e| {
        let start = String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned();
        FetchError::NotJson(format!("{e} (begins {start:?})"))
    })
}

/// The file of a saved crawl that holds `url`.
fn get_file(root: &Path, api_root: &str, url: &str) -> Result<Value, FetchError> {
    let Some(rest) = url.strip_prefix(api_root) else {
        return Err(FetchError::NotFound);
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let page = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("page="))
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| *n > 1);
    let name = match page {
        Some(n) => format!("{path}_page-{n}.json"),
        None => format!("{path}.json"),
    };
    if name.contains("..") {
        return Err(FetchError::NotFound);
    }
    match std::fs::read(root.join(&name)) {
        Ok(bytes) => parse(&bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FetchError::NotFound),
        Err(e) => Err(FetchError::Failed(format!("{name}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_crawl_answers_list_pages_by_file_name() {
        let dir = std::env::temp_dir().join(format!("oparl-crawl-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("body/1")).unwrap();
        let api = "https://ris.example.de/oparl/v1.0/";
        std::fs::write(
            dir.join("system.json"),
            format!(r#"{{"id": "{api}system"}}"#),
        )
        .unwrap();
        std::fs::write(dir.join("body/1/paper.json"), r#"{"data": [1]}"#).unwrap();
        std::fs::write(dir.join("body/1/paper_page-2.json"), r#"{"data": [2]}"#).unwrap();
        std::fs::write(dir.join("body/1/meeting.json"), "<html>").unwrap();
        let f = Fetcher::directory(&dir).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let paper = format!("{api}body/1/paper");
            assert_eq!(f.get(&paper).await.unwrap()["data"][0], 1);
            assert_eq!(
                f.get(&format!("{paper}?page=1")).await.unwrap()["data"][0],
                1
            );
            assert_eq!(
                f.get(&format!("{paper}?page=2")).await.unwrap()["data"][0],
                2
            );
            assert_eq!(
                f.get(&format!("{paper}?page=3")).await,
                Err(FetchError::NotFound)
            );
            assert!(matches!(
                f.get(&format!("{api}body/1/meeting")).await,
                Err(FetchError::NotJson(_))
            ));
            assert_eq!(
                f.get("https://other.example/system").await,
                Err(FetchError::NotFound)
            );
        });
        std::fs::remove_dir_all(dir).ok();
    }
}
