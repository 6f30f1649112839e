//! The search page: one field, hits with highlights, kinds to narrow by, next page.

use crate::{PortalState, Req};
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, Default)]
pub(crate) struct SearchQuery {
    q: Option<String>,
    /// One kind (`PAPER`, `MEETING`, …).
    art: Option<String>,
    nach: Option<String>,
}

const KINDS: [&str; 6] = [
    "PAPER",
    "MEETING",
    "AGENDA_ITEM",
    "PERSON",
    "ORGANIZATION",
    "FILE",
];

pub(crate) async fn page(
    State(portal): PortalState,
    req: Req,
    Query(q): Query<SearchQuery>,
) -> Response {
    let text =
        q.q.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| t.chars().take(200).collect::<String>());
    let kind = q.art.as_deref().filter(|k| KINDS.contains(k));
    let Some(text) = text else {
        let data = match portal.data(&req, "", "", json!({})).await {
            Ok(d) => d,
            Err(f) => return portal.failed(&req, f),
        };
        return portal.render(&req, "search.html", "search", &data, json!({ "q": null }));
    };
    let data = portal
        .data(
            &req,
            "$q: String!, $kinds: [SearchKind!]!, $after: String",
            "search(query: $q, filter: { kinds: $kinds }, first: 20, after: $after) {
                totalCount hasNextPage endCursor
                hits { kind id title reference paperType result date context parentKind parentId
                       highlights { field html } }
                facets { kinds { kind count } }
             }",
            json!({ "q": text, "kinds": kind.map(|k| vec![k]).unwrap_or_default(), "after": q.nach }),
        )
        .await;
    let data = match data {
        Ok(d) => d,
        // A query the search refuses (too long, bad syntax) is a message, not an outage.
        Err(crate::Failed::NotFound) => {
            let data = portal
                .data(&req, "", "", json!({}))
                .await
                .unwrap_or_default();
            return portal.render(
                &req,
                "search.html",
                "search",
                &data,
                json!({ "q": text, "refused": true }),
            );
        }
        Err(f) => return portal.failed(&req, f),
    };
    portal.render(
        &req,
        "search.html",
        "search",
        &data,
        json!({ "q": text, "kind": kind, "result": data["search"] }),
    )
}
