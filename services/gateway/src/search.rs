//! `search`: full-text search over the addressed tenant, filtered by what the caller may see.

use crate::Backends;
use crate::council::body::Organization;
use crate::council::{council, parse_id};
use crate::errors::to_gql;
use crate::schema::request;
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use plenum_errors::{ErrorCode, ServiceError};
use plenum_search::model::{self, Hit};
use plenum_tenants::council::model::Kind;
use uuid::Uuid;

/// What a hit is.
#[derive(Enum, Debug, Copy, Clone, Eq, PartialEq)]
pub enum SearchKind {
    Paper,
    Meeting,
    AgendaItem,
    Person,
    Organization,
    File,
}

impl SearchKind {
    fn to_kind(self) -> Kind {
        match self {
            SearchKind::Paper => Kind::Paper,
            SearchKind::Meeting => Kind::Meeting,
            SearchKind::AgendaItem => Kind::AgendaItem,
            SearchKind::Person => Kind::Person,
            SearchKind::Organization => Kind::Organization,
            SearchKind::File => Kind::File,
        }
    }

    fn from_kind(kind: Kind) -> Option<SearchKind> {
        Some(match kind {
            Kind::Paper => SearchKind::Paper,
            Kind::Meeting => SearchKind::Meeting,
            Kind::AgendaItem => SearchKind::AgendaItem,
            Kind::Person => SearchKind::Person,
            Kind::Organization => SearchKind::Organization,
            Kind::File => SearchKind::File,
            _ => return None,
        })
    }
}

#[derive(Enum, Debug, Copy, Clone, Eq, PartialEq, Default)]
pub enum SearchSort {
    #[default]
    Relevance,
    Newest,
    Oldest,
}

/// Narrows a search; each list means "any of these".
#[derive(InputObject, Default)]
pub struct SearchFilter {
    #[graphql(default)]
    kinds: Vec<SearchKind>,
    #[graphql(default)]
    committees: Vec<ID>,
    #[graphql(default)]
    years: Vec<i32>,
    #[graphql(default)]
    paper_types: Vec<String>,
    /// On or after this day.
    date_from: Option<NaiveDate>,
    /// On or before this day.
    date_until: Option<NaiveDate>,
}

/// A passage with the matching words marked: HTML-escaped text with `<mark>` elements.
#[derive(SimpleObject)]
pub struct SearchHighlight {
    /// `title` or `text`.
    field: String,
    html: String,
}

#[derive(SimpleObject)]
pub struct SearchHit {
    kind: SearchKind,
    id: ID,
    /// Relevance (0 when sorted by date).
    score: f64,
    title: String,
    /// Paper reference, meeting number, agenda item number.
    reference: Option<String>,
    paper_type: Option<String>,
    /// Agenda item result (`approved`, `rejected`, …).
    result: Option<String>,
    date: Option<DateTime<Utc>>,
    /// The department of a paper, the meeting of an agenda item, the committees of a meeting,
    /// the owner of a file.
    context: Option<String>,
    /// The meeting of an agenda item, the owner of a file.
    parent_kind: Option<SearchKind>,
    parent_id: Option<ID>,
    highlights: Vec<SearchHighlight>,
    cursor: String,
}

impl From<Hit> for SearchHit {
    fn from(hit: Hit) -> Self {
        SearchHit {
            kind: SearchKind::from_kind(hit.kind).unwrap_or(SearchKind::Paper),
            id: ID(hit.id.to_string()),
            score: f64::from(hit.score),
            title: hit.title,
            reference: hit.reference,
            paper_type: hit.paper_type,
            result: hit.result,
            date: hit.date,
            context: hit.context,
            parent_kind: hit.parent.and_then(|(k, _)| SearchKind::from_kind(k)),
            parent_id: hit.parent.map(|(_, id)| ID(id.to_string())),
            highlights: hit
                .highlights
                .into_iter()
                .map(|h| SearchHighlight {
                    field: h.field,
                    html: h.html,
                })
                .collect(),
            cursor: hit.cursor,
        }
    }
}

#[derive(SimpleObject)]
pub struct KindCount {
    kind: SearchKind,
    count: i64,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CommitteeCount {
    committee_id: ID,
    count: i64,
}

#[ComplexObject]
impl CommitteeCount {
    /// The committee, when the caller may see it.
    async fn committee(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let id = parse_id(&self.committee_id, "committeeId").map_err(to_gql)?;
        council(ctx)?.one::<Organization>(id).await
    }
}

#[derive(SimpleObject)]
pub struct YearCount {
    year: i32,
    count: i64,
}

#[derive(SimpleObject)]
pub struct ValueCount {
    value: String,
    count: i64,
}

/// Hits per value, over every hit the caller may see.
#[derive(SimpleObject)]
pub struct SearchFacets {
    kinds: Vec<KindCount>,
    committees: Vec<CommitteeCount>,
    years: Vec<YearCount>,
    paper_types: Vec<ValueCount>,
}

#[derive(SimpleObject)]
pub struct SearchResult {
    /// Every hit the caller may see, not just this page.
    total_count: i64,
    hits: Vec<SearchHit>,
    facets: SearchFacets,
    has_next_page: bool,
    /// Pass as `after` for the next page.
    end_cursor: Option<String>,
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Full-text search over papers, meetings, agenda items, persons, organizations and file
    /// text of the addressed tenant. Words must all match (German stemming, "ue" for "ü", one
    /// typo per word); `"quoted words"` match as a phrase; a reference ("26-0042") matches
    /// exactly. Only what the caller may see is found, counted or quoted.
    #[graphql(complexity = "5 + first.max(0) as usize * child_complexity")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        filter: Option<SearchFilter>,
        #[graphql(default)] sort: SearchSort,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<SearchResult> {
        let req = request(ctx);
        let tenant = req.tenant.as_ref().ok_or_else(|| {
            to_gql(ServiceError::new(
                ErrorCode::TenantRequired,
                "search belongs to a tenant: address one by its URL or the X-Plenum-Tenant header",
            ))
        })?;
        let filter = filter.unwrap_or_default();
        let committees = filter
            .committees
            .iter()
            .map(|id| parse_id(id, "committees"))
            .collect::<Result<Vec<Uuid>, _>>()
            .map_err(to_gql)?;
        let search_request = model::SearchRequest {
            query,
            filters: model::SearchFilters {
                kinds: filter.kinds.iter().map(|k| k.to_kind()).collect(),
                committees,
                years: filter.years,
                paper_types: filter.paper_types,
                date_from: filter.date_from,
                date_until: filter.date_until,
            },
            sort: match sort {
                SearchSort::Relevance => model::SearchSort::Relevance,
                SearchSort::Newest => model::SearchSort::Newest,
                SearchSort::Oldest => model::SearchSort::Oldest,
            },
            first: u32::try_from(first).unwrap_or(0),
            after,
        };
        let backends = ctx.data_unchecked::<Backends>();
        let results = backends
            .search
            .search(&req.identity, tenant.id, search_request)
            .await
            .map_err(to_gql)?;
        let end_cursor = results.hits.last().map(|h| h.cursor.clone());
        let f = results.facets;
        Ok(SearchResult {
            total_count: count(results.total),
            hits: results.hits.into_iter().map(Into::into).collect(),
            facets: SearchFacets {
                kinds: f
                    .kinds
                    .into_iter()
                    .filter_map(|(k, n)| {
                        SearchKind::from_kind(k).map(|kind| KindCount {
                            kind,
                            count: count(n),
                        })
                    })
                    .collect(),
                committees: f
                    .committees
                    .into_iter()
                    .map(|(id, n)| CommitteeCount {
                        committee_id: ID(id.to_string()),
                        count: count(n),
                    })
                    .collect(),
                years: f
                    .years
                    .into_iter()
                    .map(|(year, n)| YearCount {
                        year,
                        count: count(n),
                    })
                    .collect(),
                paper_types: f
                    .paper_types
                    .into_iter()
                    .map(|(value, n)| ValueCount {
                        value,
                        count: count(n),
                    })
                    .collect(),
            },
            has_next_page: results.has_next_page,
            end_cursor,
        })
    }
}
