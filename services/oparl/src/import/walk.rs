//! Walking an external list to its end on servers that break the rules (QUIRKS.md): a 404 for
//! an empty filtered list, a bare array or a single object instead of a page, `next` links that
//! loop or repeat pages forever, an unencoded `+` in `next`, the same object on two pages.

use super::fetch::{FetchError, Fetcher};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// The most pages one list may have; a walk that gets there is looping.
const MAX_PAGES: usize = 100_000;
/// Pages in a row that bring nothing new before a walk counts as looping.
const UNPRODUCTIVE_PAGES: usize = 3;

/// Something that went wrong, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub url: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub(crate) struct Walked {
    /// Objects by id, in first-seen order; a later copy replaces an earlier one.
    pub objects: Vec<Value>,
    pub pages: usize,
    pub problems: Vec<Problem>,
}

/// `url` with `query` (already encoded) added to whatever query it has.
pub(crate) fn with_query(url: &str, query: &str) -> String {
    if query.is_empty() {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&{query}")
    } else {
        format!("{url}?{query}")
    }
}

/// A `next` link as the server should have written it: a literal `+` in the query is an
/// offset's sign that some servers forget to encode (and then read as a space).
fn repair_next(next: &str) -> String {
    match next.split_once('?') {
        Some((path, query)) => format!("{path}?{}", query.replace('+', "%2B")),
        None => next.to_owned(),
    }
}

/// Walks the list at `first` (with `query`, e.g. `modified_since=…`, merged in).
#[cfg(test)]
pub(crate) async fn walk(fetcher: &Fetcher, first: &str, query: &str) -> Walked {
    walk_with(fetcher, first, query, &|_, _| {}).await
}

/// [`walk`], telling `on_page` after each page how many new objects it brought and, when the
/// page says it, how many the list holds.
pub(crate) async fn walk_with(
    fetcher: &Fetcher,
    first: &str,
    query: &str,
    on_page: &(dyn Fn(u64, Option<u64>) + Sync),
) -> Walked {
    let mut walked = Walked::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut visited: HashSet<String> = HashSet::new();
    let mut url = with_query(first, query);
    let mut unproductive = 0;
    loop {
        if !visited.insert(url.clone()) || walked.pages >= MAX_PAGES {
            walked.problems.push(Problem {
                url: url.clone(),
                reason: "the list's pages link in a circle; stopped here".into(),
            });
            break;
        }
        let page = match fetcher.get(&url).await {
            Ok(page) => page,
            // SD.NET answers an empty filtered list with 404; a missing list is empty too.
            Err(FetchError::NotFound) => break,
            Err(e) => {
                walked.problems.push(Problem {
                    url: url.clone(),
                    reason: format!("list page {e}"),
                });
                break;
            }
        };
        walked.pages += 1;
        let total = page
            .get("pagination")
            .and_then(|p| p.get("totalElements"))
            .and_then(Value::as_u64);
        let (data, next) = match page {
            Value::Array(items) => (items, None),
            Value::Object(ref map) if map.contains_key("data") => (
                map.get("data")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
                map.get("links")
                    .and_then(|l| l.get("next"))
                    .and_then(Value::as_str)
                    .filter(|n| !n.is_empty())
                    .map(repair_next),
            ),
            // A single object where a list was expected.
            Value::Object(ref map) if map.contains_key("id") => (vec![page.clone()], None),
            _ => {
                walked.problems.push(Problem {
                    url: url.clone(),
                    reason: "neither a list page nor an object".into(),
                });
                break;
            }
        };
        let mut new = 0;
        for object in data {
            let Some(id) = object.get("id").and_then(Value::as_str).map(str::to_owned) else {
                walked.problems.push(Problem {
                    url: url.clone(),
                    reason: "an object without id".into(),
                });
                continue;
            };
            match index.get(&id) {
                // Lists can change during a walk: keep the last copy.
                Some(&at) => walked.objects[at] = object,
                None => {
                    index.insert(id, walked.objects.len());
                    walked.objects.push(object);
                    new += 1;
                }
            }
        }
        on_page(new, total);
        unproductive = if new == 0 { unproductive + 1 } else { 0 };
        if unproductive >= UNPRODUCTIVE_PAGES {
            walked.problems.push(Problem {
                url: url.clone(),
                reason: "the list repeats pages without new objects; stopped here".into(),
            });
            break;
        }
        match next {
            Some(next) => url = next,
            None => break,
        }
    }
    walked
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn crawl(dir: &Path, files: &[(&str, Value)]) -> Fetcher {
        std::fs::create_dir_all(dir.join("body")).unwrap();
        std::fs::write(
            dir.join("system.json"),
            json!({"id": "https://x.de/o/system"}).to_string(),
        )
        .unwrap();
        for (name, value) in files {
            std::fs::write(dir.join(name), value.to_string()).unwrap();
        }
        Fetcher::directory(dir).unwrap()
    }

    fn page(ids: &[&str], next: Option<&str>) -> Value {
        let data: Vec<Value> = ids.iter().map(|id| json!({"id": id})).collect();
        let mut links = json!({});
        if let Some(n) = next {
            links["next"] = json!(n);
        }
        json!({"data": data, "pagination": {}, "links": links})
    }

    #[test]
    fn quirky_lists_are_walked_to_their_end_or_stopped_with_a_reason() {
        let dir = std::env::temp_dir().join(format!("oparl-walk-{}", std::process::id()));
        let f = crawl(
            &dir,
            &[
                (
                    "body/a.json",
                    page(&["1", "2"], Some("https://x.de/o/body/a?page=2")),
                ),
                ("body/a_page-2.json", page(&["2", "3"], None)),
                // Every page links to the next, for ever, with the same objects.
                (
                    "body/loop.json",
                    page(&["1"], Some("https://x.de/o/body/loop?page=2")),
                ),
                (
                    "body/loop_page-2.json",
                    page(&["1"], Some("https://x.de/o/body/loop?page=3")),
                ),
                (
                    "body/loop_page-3.json",
                    page(&["1"], Some("https://x.de/o/body/loop?page=4")),
                ),
                (
                    "body/loop_page-4.json",
                    page(&["1"], Some("https://x.de/o/body/loop?page=5")),
                ),
                ("body/bare.json", json!([{"id": "9"}])),
                ("body/single.json", json!({"id": "7", "type": "x"})),
            ],
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let a = walk(&f, "https://x.de/o/body/a", "").await;
            let ids: Vec<&str> = a
                .objects
                .iter()
                .map(|o| o["id"].as_str().unwrap())
                .collect();
            assert_eq!(ids, ["1", "2", "3"], "deduplicated by id");
            assert!(a.problems.is_empty());
            let looping = walk(&f, "https://x.de/o/body/loop", "").await;
            assert_eq!(looping.objects.len(), 1);
            assert!(
                looping.problems[0].reason.contains("repeats"),
                "{:?}",
                looping.problems
            );
            assert_eq!(
                walk(&f, "https://x.de/o/body/bare", "").await.objects.len(),
                1
            );
            assert_eq!(
                walk(&f, "https://x.de/o/body/single", "")
                    .await
                    .objects
                    .len(),
                1
            );
            let missing = walk(&f, "https://x.de/o/body/none", "modified_since=x").await;
            assert!(missing.objects.is_empty() && missing.problems.is_empty());
        });
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn queries_merge_and_next_links_get_their_plus_encoded() {
        assert_eq!(
            with_query("https://x/l?body=1", "limit=5"),
            "https://x/l?body=1&limit=5"
        );
        assert_eq!(with_query("https://x/l", "limit=5"), "https://x/l?limit=5");
        assert_eq!(
            repair_next("https://x/l?modified_since=2026-01-01T00:00:00+01:00&page=2"),
            "https://x/l?modified_since=2026-01-01T00:00:00%2B01:00&page=2"
        );
    }
}
