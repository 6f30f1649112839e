//! The meeting calendar: a month as a grid (Monday first) or as a list, for every committee or
//! one, with "heute" and the neighbouring months.

use crate::view::{day_of, month_name, today};
use crate::{PortalState, Req};
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{Datelike, Days, Months, NaiveDate, TimeZone};
use chrono_tz::Europe::Berlin;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize, Default)]
pub(crate) struct CalendarQuery {
    /// `2026-06`
    monat: Option<String>,
    /// A committee id.
    gremium: Option<String>,
    /// `liste` or `monat` (the grid, default).
    ansicht: Option<String>,
}

fn first_of(month: Option<&str>) -> NaiveDate {
    month
        .and_then(|m| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok())
        .unwrap_or_else(|| today().with_day(1).expect("day 1 exists"))
}

/// Midnight at the start of `day` in Germany, as RFC 3339.
fn berlin_midnight(day: NaiveDate) -> String {
    Berlin
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .earliest()
        .expect("midnight exists in Germany")
        .to_rfc3339()
}

pub(crate) async fn page(
    State(portal): PortalState,
    req: Req,
    Query(q): Query<CalendarQuery>,
) -> Response {
    let first = first_of(q.monat.as_deref());
    let next = first + Months::new(1);
    let previous = first - Months::new(1);
    let committee = q
        .gremium
        .as_deref()
        .filter(|c| uuid::Uuid::parse_str(c).is_ok());
    let list = q.ansicht.as_deref() == Some("liste");
    let data = portal
        .data(
            &req,
            "$from: DateTime!, $until: DateTime!, $org: ID",
            "meetings(startFrom: $from, startUntil: $until, organizationId: $org,
                      sortBy: DATE, descending: true, first: 500) {
                nodes { id name startAt endAt cancelled organizations { id name }
                        location { description } }
             }
             committees: organizations(kind: COMMITTEE, first: 500) { nodes { id name } }",
            json!({
                "from": berlin_midnight(first),
                "until": berlin_midnight(next),
                "org": committee,
            }),
        )
        .await;
    let data = match data {
        Ok(d) => d,
        Err(f) => return portal.failed(&req, f),
    };
    let meetings = data["meetings"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // The grid: whole weeks from the Monday on or before the 1st to the Sunday on or after
    // the last day.
    let start = first - Days::new(first.weekday().num_days_from_monday() as u64);
    let last = next.pred_opt().expect("a day before the 1st");
    let end = last + Days::new(6 - last.weekday().num_days_from_monday() as u64);
    let today = today();
    let mut weeks = Vec::new();
    let mut day = start;
    while day <= end {
        let mut week = Vec::new();
        for _ in 0..7 {
            let on_day: Vec<&Value> = meetings
                .iter()
                .filter(|m| {
                    m["startAt"]
                        .as_str()
                        .and_then(|s| day_of(s).ok())
                        .is_some_and(|d| d == day)
                })
                .collect();
            week.push(json!({
                "date": day.to_string(),
                "day": day.day(),
                "in_month": day.month() == first.month(),
                "today": day == today,
                "meetings": on_day,
            }));
            day = day + Days::new(1);
        }
        weeks.push(week);
    }
    let month = |d: NaiveDate| d.format("%Y-%m").to_string();
    portal.render(
        &req,
        "calendar.html",
        "calendar",
        &data,
        json!({
            "meetings": meetings,
            "weeks": weeks,
            "list": list,
            "month": month(first),
            "month_label": format!("{} {}", month_name(req.lang, first.month()), first.year()),
            "previous": month(previous),
            "next": month(next),
            "this_month": month(today),
            "committee": committee,
            "committees": data["committees"]["nodes"],
        }),
    )
}
