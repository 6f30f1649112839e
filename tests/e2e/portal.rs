//! The portal end to end, on the identity fixture (tenant alpha with marker strings in
//! everything the public may not see): pages at stable addresses, the cache of anonymous
//! pages and how a change reaches it, the feeds checked by independent parsers (PyPI's
//! icalendar and feedparser), the personal calendar link, and a crawler that follows every
//! link and feed anonymously and as a member of another committee looking for markers.

use crate::council::{item, meeting};
use crate::identity::{
    ALL_MARKERS, BA_NONPUBLIC, BETA, FA_NONPUBLIC, PAPER_NP_BA, World, visible_to, world_with,
};
use crate::portal_signin::sign_in;
use chrono::{TimeZone, Utc};
use plenum_identity::Identity;
use plenum_tenants::council::CouncilApi;
use plenum_tenants::council::model::NewObject;
use serde_json::{Value, json};
use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};
use uuid::Uuid;

struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Page {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn fetch(url: &str, cookie: &str) -> Page {
    let mut request = client().get(url);
    if !cookie.is_empty() {
        request = request.header("cookie", cookie);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = String::from_utf8_lossy(&r.bytes().await.unwrap()).into_owned();
    Page {
        status,
        headers,
        body,
    }
}

fn base(w: &World) -> String {
    format!("{}t/alpha/", w.server.base)
}

fn operator() -> Identity {
    Identity::operator_service("test")
}

fn council(w: &World) -> std::sync::Arc<plenum_tenants::council::CouncilService> {
    w.server.app_council.clone().unwrap()
}

#[tokio::test]
async fn pages_show_public_content_at_stable_addresses_and_nothing_else() {
    let w = world_with(false).await;
    let base = base(&w);
    for path in [
        "",
        "sitzungen?monat=2026-03",
        "sitzungen?monat=2026-03&ansicht=liste",
        "vorlagen",
        "gremien",
        "personen",
        "suche",
        "suche?q=Vorlage",
        "impressum",
        "datenschutz",
        "barrierefreiheit",
    ] {
        let page = fetch(&format!("{base}{path}"), "").await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(
            page.body.starts_with("<!doctype html>\n<html lang=\"de\">"),
            "{path}"
        );
        assert!(
            page.body.contains("href=\"#inhalt\""),
            "skip link on {path}"
        );
        for legal in ["impressum", "datenschutz", "barrierefreiheit"] {
            assert!(
                page.body.contains(&format!("href=\"/t/alpha/{legal}\"")),
                "{legal} linked from {path}"
            );
        }
        assert_eq!(page.header("cache-control"), "public, max-age=60", "{path}");
    }

    // The meeting page: the public agenda, never the non-public part, for the public.
    let meeting = fetch(&format!("{base}sitzungen/{}", w.meeting_ba), "").await;
    assert_eq!(meeting.status, 200);
    assert!(
        meeting.body.contains("Öffentlicher Punkt"),
        "{}",
        meeting.body
    );
    assert!(!meeting.body.contains(BA_NONPUBLIC));
    assert!(
        meeting
            .body
            .contains("Dienstag, 10. März 2026, 17:00–19:00 Uhr")
    );
    // The calendar shows the meeting on its day and links it.
    let calendar = fetch(&format!("{base}sitzungen?monat=2026-03"), "").await;
    assert!(
        calendar
            .body
            .contains(&format!("/t/alpha/sitzungen/{}", w.meeting_ba))
    );
    assert!(calendar.body.contains("Sitzungen im März 2026"));

    let paper = fetch(&format!("{base}vorlagen/{}", w.public_paper), "").await;
    assert_eq!(paper.status, 200);
    assert!(paper.body.contains("Öffentliche Vorlage") && paper.body.contains("19-0001"));

    // Hidden, unknown, malformed and other tenants' ids are all simply not there.
    for path in [
        format!("vorlagen/{}", w.nonpublic_paper_ba),
        format!("vorlagen/{}", w.draft_bau),
        format!("vorlagen/{}", Uuid::new_v4()),
        "vorlagen/not-an-id".to_owned(),
        format!("gremien/{}", Uuid::new_v4()),
        format!("personen/{}", Uuid::new_v4()),
        format!("sitzungen/{}", Uuid::new_v4()),
    ] {
        let page = fetch(&format!("{base}{path}"), "").await;
        assert_eq!(page.status, 404, "{path}");
        assert!(page.body.contains("Seite nicht gefunden"), "{path}");
        assert_eq!(page.header("cache-control"), "no-store", "{path}");
        for marker in ALL_MARKERS {
            assert!(!page.body.contains(marker), "{marker} on {path}");
        }
    }

    // English on request, remembered in a cookie; German stays the default.
    let switch = fetch(
        &format!("{base}sprache?lang=en&next=/t/alpha/sitzungen"),
        "",
    )
    .await;
    assert_eq!(switch.status, 303);
    assert_eq!(switch.header("location"), "/t/alpha/sitzungen");
    assert!(switch.header("set-cookie").starts_with("plenum_lang=en;"));
    let english = fetch(
        &format!("{base}sitzungen/{}", w.meeting_ba),
        "plenum_lang=en",
    )
    .await;
    assert!(english.body.contains("<html lang=\"en\">") && english.body.contains("Public agenda"));
    let german = fetch(&format!("{base}sitzungen/{}", w.meeting_ba), "").await;
    assert!(german.body.contains("Öffentliche Tagesordnung"));
    // The switch only goes back into the tenant, never elsewhere.
    let away = fetch(
        &format!("{base}sprache?lang=de&next=https://evil.example/"),
        "",
    )
    .await;
    assert_eq!(away.header("location"), "/t/alpha/");
}

async fn cache_and_invalidation(redis: bool) {
    let w = world_with(redis).await;
    let url = format!("{}sitzungen/{}", base(&w), w.meeting_ba);
    let first = fetch(&url, "").await;
    assert_eq!(first.header("x-plenum-cache"), "miss");
    // The fixture's own events can still be on their way (through Redis, on a busy machine)
    // and drop the page once more; the next request caches it again.
    let mut second = fetch(&url, "").await;
    for _ in 0..50 {
        if second.header("x-plenum-cache") == "hit" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        second = fetch(&url, "").await;
    }
    assert_eq!(second.header("x-plenum-cache"), "hit");
    assert_eq!(second.body, first.body);
    let etag = second.header("etag").to_owned();
    let r = client()
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);

    // A signed-in member's page is never cached, and never served to the public.
    let member = sign_in(&w, "alpha", "alpha-member").await;
    let mine = fetch(&url, &member).await;
    assert!(mine.body.contains(BA_NONPUBLIC));
    assert_eq!(mine.header("cache-control"), "private, no-store");
    assert_eq!(mine.header("x-plenum-cache"), "");
    let public = fetch(&url, "").await;
    assert!(!public.body.contains(BA_NONPUBLIC));
    // Nor does a made-up session cookie reach the cache.
    let forged = fetch(&url, "plenum_session=forged").await;
    assert_eq!(forged.header("x-plenum-cache"), "");

    // A change shows at once: the event drops the tenant's cached pages.
    let started = Instant::now();
    council(&w)
        .create(
            &operator(),
            w.alpha.id,
            item(
                w.meeting_ba,
                3,
                "Nachträglich aufgenommener Punkt",
                true,
                false,
            ),
        )
        .await
        .unwrap();
    loop {
        let page = fetch(&url, "").await;
        if page.body.contains("Nachträglich aufgenommener Punkt") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the change did not reach the cached page within 5 s (redis: {redis})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn anonymous_pages_are_cached_and_a_change_shows_at_once() {
    cache_and_invalidation(false).await;
}

#[tokio::test]
async fn the_cache_hears_changes_through_the_redis_stream() {
    cache_and_invalidation(true).await;
}

/// Runs `tests/feeds/validate.py` on `body` with the venv `make test` prepares.
async fn validate(kind: &str, body: &str) -> Value {
    let python = std::env::var("PLENUM_TEST_PYTHON").expect(
        "PLENUM_TEST_PYTHON is not set: run the tests with `make test` (scripts/pytools.sh)",
    );
    let file = std::env::temp_dir().join(format!("plenum-feed-{}.{kind}", Uuid::new_v4()));
    std::fs::write(&file, body).unwrap();
    let out = tokio::process::Command::new(python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/feeds/validate.py"))
        .arg(kind)
        .arg(&file)
        .output()
        .await
        .unwrap();
    std::fs::remove_file(&file).ok();
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|_| panic!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr)))
}

#[tokio::test]
async fn feeds_parse_with_independent_parsers_and_keep_german_time_across_the_clock_change() {
    let w = world_with(false).await;
    let base = base(&w);
    // 18:00 in Germany on both sides of the change to summer time (29 March 2026).
    let mut ids = Vec::new();
    for (day, hour) in [(28, 17), (30, 16)] {
        let mut fields = meeting(w.committee_ba, day);
        fields.name = format!("Sitzung am {day}. März");
        fields.start_at = Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap();
        fields.end_at = None;
        let created = council(&w)
            .create(&operator(), w.alpha.id, NewObject::Meeting(fields))
            .await
            .unwrap();
        ids.push(created.id());
    }
    for url in [
        format!("{base}sitzungen.ics"),
        format!("{base}gremien/{}/sitzungen.ics", w.committee_ba),
    ] {
        let page = fetch(&url, "").await;
        assert_eq!(page.status, 200);
        assert_eq!(page.header("content-type"), "text/calendar; charset=utf-8");
        let parsed = validate("ical", &page.body).await;
        assert_eq!(parsed["ok"], true, "{parsed:#}");
        assert_eq!(parsed["timezones"], json!(["Europe/Berlin"]));
        let events = parsed["events"].as_array().unwrap();
        let event = |id: Uuid| {
            events
                .iter()
                .find(|e| e["uid"].as_str().unwrap().starts_with(&id.to_string()))
                .unwrap_or_else(|| panic!("{id} in {parsed:#}"))
        };
        let winter = event(ids[0]);
        assert_eq!(winter["start_utc"], "2026-03-28T17:00:00+00:00");
        assert_eq!(winter["start_local"], "2026-03-28T18:00:00+01:00");
        assert_eq!(winter["tzid"], "Europe/Berlin");
        let summer = event(ids[1]);
        assert_eq!(summer["start_utc"], "2026-03-30T16:00:00+00:00");
        assert_eq!(summer["start_local"], "2026-03-30T18:00:00+02:00");
        assert_eq!(
            summer["url"],
            format!("{base}sitzungen/{}", ids[1]),
            "links to the meeting page"
        );
        for marker in ALL_MARKERS {
            assert!(!page.body.contains(marker), "{marker} in {url}");
        }
    }
    // The committee's calendar has only its own meetings.
    let ba = fetch(
        &format!("{base}gremien/{}/sitzungen.ics", w.committee_ba),
        "",
    )
    .await;
    assert!(!ba.body.contains(&w.meeting_fa.to_string()));
    assert!(ba.body.contains(&w.meeting_ba.to_string()));

    for url in [
        format!("{base}vorlagen.atom"),
        format!("{base}beschluesse.atom"),
    ] {
        let page = fetch(&url, "").await;
        assert_eq!(page.status, 200);
        assert_eq!(
            page.header("content-type"),
            "application/atom+xml; charset=utf-8"
        );
        let parsed = validate("atom", &page.body).await;
        assert_eq!(parsed["ok"], true, "{url}: {parsed:#}");
        for marker in ALL_MARKERS {
            assert!(!page.body.contains(marker), "{marker} in {url}");
        }
    }
    let papers = validate(
        "atom",
        &fetch(&format!("{base}vorlagen.atom"), "").await.body,
    )
    .await;
    let titles: Vec<&str> = papers["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["19-0001 Öffentliche Vorlage"],
        "released public papers only"
    );
}

/// The value of the input field with `id` on a page.
fn input_value(page: &str, id: &str) -> String {
    page.split(&format!("id=\"{id}\""))
        .nth(1)
        .and_then(|rest| rest.split("value=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no input {id} in {page}"))
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn a_members_calendar_link_lists_their_committees_meetings_until_renewed() {
    let w = world_with(false).await;
    let base = base(&w);
    let member = sign_in(&w, "alpha", "alpha-member").await;
    let ratsinfo = fetch(&format!("{base}ratsinfo"), &member).await;
    assert_eq!(ratsinfo.status, 200, "{}", ratsinfo.body);
    assert!(ratsinfo.body.contains("Meine Sitzungen"));
    // New documents: at the first sign-in those of the last 14 days the member may see.
    assert!(ratsinfo.body.contains("Aus den letzten 14 Tagen."));
    assert!(
        ratsinfo.body.contains("Anlage öffentlich"),
        "{}",
        ratsinfo.body
    );
    assert!(ratsinfo.body.contains(&format!("{PAPER_NP_BA} Anlage")));
    assert!(!ratsinfo.body.contains(FA_NONPUBLIC));
    // At the next sign-in only what changed since the last one.
    let again = sign_in(&w, "alpha", "alpha-member").await;
    let next = fetch(&format!("{base}ratsinfo"), &again).await;
    assert!(
        next.body.contains("Seit Ihrer letzten Anmeldung am"),
        "{}",
        next.body
    );
    assert!(
        next.body.contains("Keine neuen Dokumente."),
        "{}",
        next.body
    );
    let feed = input_value(&ratsinfo.body, "feed");
    assert!(
        feed.starts_with(&format!("{base}ratsinfo/kalender/")),
        "{feed}"
    );
    // The link works without a session (calendar apps have none) and shows the member's
    // committee, not the others.
    let ics = fetch(&feed, "").await;
    assert_eq!(ics.status, 200);
    assert_eq!(ics.header("cache-control"), "private, no-store");
    assert_eq!(validate("ical", &ics.body).await["ok"], true);
    assert!(ics.body.contains(&format!("UID:{}@", w.meeting_ba)));
    assert!(!ics.body.contains(&w.meeting_fa.to_string()));
    // The same link is shown again, and it belongs to alpha only.
    let again = fetch(&format!("{base}ratsinfo"), &member).await;
    assert_eq!(input_value(&again.body, "feed"), feed);
    let token = feed.rsplit('/').next().unwrap();
    let beta = fetch(
        &format!("{}t/beta/ratsinfo/kalender/{token}", w.server.base),
        "",
    )
    .await;
    assert_eq!(beta.status, 404);
    // A forged renewal is refused; a real one kills the old link.
    let r = client()
        .post(format!("{base}ratsinfo/kalender/neu"))
        .header("cookie", &member)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("csrf=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(fetch(&feed, "").await.status, 200);
    let csrf = input_value(&again.body, "csrf-renew");
    let r = client()
        .post(format!("{base}ratsinfo/kalender/neu"))
        .header("cookie", &member)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(fetch(&feed, "").await.status, 404);
    let renewed = input_value(
        &fetch(&format!("{base}ratsinfo"), &member).await.body,
        "feed",
    );
    assert_ne!(renewed, feed);
    assert_eq!(fetch(&renewed, "").await.status, 200);
    // Anonymous visitors are sent to sign in; staff pages refuse members.
    let anonymous = fetch(&format!("{base}ratsinfo"), "").await;
    assert_eq!(anonymous.status, 303);
    let amtsinfo = fetch(&format!("{base}amtsinfo"), &member).await;
    assert_eq!(amtsinfo.status, 403);
    let staff = sign_in(&w, "alpha", "alpha-staff").await;
    let amtsinfo = fetch(&format!("{base}amtsinfo"), &staff).await;
    assert_eq!(amtsinfo.status, 200);
    assert!(amtsinfo.body.contains("Bauamt") && amtsinfo.body.contains("Ordnungsamt"));
}

/// Every address a page, feed or calendar links to, below the tenant's base.
fn links(from: &url::Url, body: &str, scope: &str) -> Vec<url::Url> {
    let mut out = Vec::new();
    let mut candidates: Vec<String> = body
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .collect();
    // iCal: `URL:` lines (unfolded first).
    candidates.extend(
        body.replace("\r\n ", "")
            .lines()
            .filter_map(|l| l.strip_prefix("URL:"))
            .map(str::to_owned),
    );
    for href in candidates {
        let Ok(mut url) = from.join(&href) else {
            continue;
        };
        url.set_fragment(None);
        if url.origin() == from.origin() && url.path().starts_with(scope) {
            out.push(url);
        }
    }
    out
}

/// Follows every link from the seeds (pages, feeds, calendars, files), as the visitor with
/// `cookie`; returns every body read.
async fn crawl(w: &World, seeds: &[String], cookie: &str) -> Vec<(String, String)> {
    let scope = "/t/alpha/";
    let mut queue: VecDeque<url::Url> = seeds.iter().map(|s| url::Url::parse(s).unwrap()).collect();
    let mut seen: BTreeSet<String> = queue.iter().map(|u| u.to_string()).collect();
    let mut bodies = Vec::new();
    while let Some(url) = queue.pop_front() {
        assert!(bodies.len() < 600, "the crawl does not end: {seen:#?}");
        let page = fetch(url.as_str(), cookie).await;
        assert!(page.status < 500, "{url}: {} {}", page.status, page.body);
        for next in links(&url, &page.body, scope) {
            let path = next.path();
            // Signing in or out and switching language leave the visitor's view; months
            // beyond the seeds are empty pages without end.
            let leaves = path.contains("/auth/") || path.ends_with("/sprache");
            let other_month = next.query().is_some_and(|q| q.contains("monat="))
                && !seeds.contains(&next.to_string());
            if leaves || other_month {
                continue;
            }
            if seen.insert(next.to_string()) {
                queue.push_back(next);
            }
        }
        bodies.push((url.to_string(), page.body));
    }
    let _ = w;
    bodies
}

#[tokio::test]
async fn a_crawler_finds_no_hidden_marker_anonymously_or_as_a_member_of_another_committee() {
    let w = world_with(false).await;
    let base = base(&w);
    let mut seeds: Vec<String> = [
        "",
        "sitzungen?monat=2026-03",
        "sitzungen?monat=2026-03&ansicht=liste",
        "vorlagen",
        "gremien",
        "personen",
    ]
    .iter()
    .map(|p| format!("{base}{p}"))
    .collect();
    // Searching for the markers themselves must find nothing hidden either. In lower case,
    // so that the page repeating the query is not taken for a hit (the search ignores case).
    for marker in ALL_MARKERS {
        seeds.push(format!("{base}suche?q={}", marker.to_lowercase()));
    }
    // Addresses of hidden objects that someone might have guessed or kept.
    for id in &w.ids {
        seeds.push(format!("{base}vorlagen/{id}"));
        seeds.push(format!("{base}sitzungen/{id}"));
        seeds.push(format!("{base}personen/{id}"));
        seeds.push(format!("{base}gremien/{id}"));
    }
    let member = sign_in(&w, "alpha", "alpha-member").await;
    for (who, cookie) in [("anonymous", String::new()), ("alpha-member", member)] {
        let bodies = crawl(&w, &seeds, &cookie).await;
        let allowed = visible_to(who);
        let mut seen_markers = BTreeSet::new();
        for (url, body) in &bodies {
            for marker in ALL_MARKERS {
                if body.contains(marker) {
                    assert!(allowed.contains(&marker), "{who} saw {marker} at {url}");
                    seen_markers.insert(marker);
                }
            }
        }
        // The crawl reached what this visitor may see: it would have found a leak.
        assert!(
            bodies
                .iter()
                .any(|(_, b)| b.contains("Öffentliche Vorlage")),
            "{who}"
        );
        assert!(
            bodies.iter().any(|(u, _)| u.ends_with(".ics")),
            "{who} read a calendar"
        );
        assert!(
            bodies.iter().any(|(u, _)| u.ends_with(".atom")),
            "{who} read a feed"
        );
        assert!(
            bodies.iter().any(|(u, _)| u.contains("/files/")),
            "{who} followed a file"
        );
        if who == "alpha-member" {
            assert!(seen_markers.contains(&BA_NONPUBLIC), "{seen_markers:?}");
            assert!(seen_markers.contains(&PAPER_NP_BA), "{seen_markers:?}");
        }
        assert!(!seen_markers.contains(&FA_NONPUBLIC) && !seen_markers.contains(&BETA));
        eprintln!("{who}: {} addresses crawled", bodies.len());
    }
}
