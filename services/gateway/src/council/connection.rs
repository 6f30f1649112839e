//! Relay-style cursor connections over `CouncilApi::list`.

use super::enums::SortBy;
use super::{Council, Node};
use crate::errors::to_gql;
use async_graphql::connection::Edge;
use async_graphql::{OutputType, Result, SimpleObject};
use chrono::{DateTime, Utc};
use plenum_errors::ServiceError;
use plenum_tenants::council::{Filter, ListQuery, MAX_PAGE_SIZE};

/// A page of a list: `edges` (or just `nodes`), `pageInfo` to go on, `totalCount`.
pub type Connection<T> = async_graphql::connection::Connection<String, T, Totals>;

/// The size of a whole list.
#[derive(SimpleObject)]
pub struct Totals {
    /// How many objects match, across all pages.
    pub total_count: i64,
}

/// How to page and order a list, and which tombstones it includes.
pub(crate) struct Paging {
    pub first: i32,
    pub after: Option<String>,
    pub sort_by: SortBy,
    pub descending: bool,
    pub include_deleted: bool,
    pub modified_since: Option<DateTime<Utc>>,
}

impl Paging {
    /// The kind's natural order, live objects only.
    pub(crate) fn forward(first: i32, after: Option<String>) -> Paging {
        Paging {
            first,
            after,
            sort_by: SortBy::Default,
            descending: false,
            include_deleted: false,
            modified_since: None,
        }
    }
}

/// The complexity of a list field: what one item costs, times the page size.
pub(crate) fn page_complexity(first: i32, child_complexity: usize) -> usize {
    let first = usize::try_from(first.clamp(1, MAX_PAGE_SIZE as i32)).unwrap_or(1);
    1 + first * child_complexity
}

/// One page of objects of kind `T`.
pub(crate) async fn list<T: Node + OutputType>(
    council: &Council,
    mut filter: Filter,
    paging: Paging,
) -> Result<Connection<T>> {
    if paging.first < 1 {
        return Err(to_gql(ServiceError::validation(
            "first",
            "first must be at least 1",
        )));
    }
    filter.include_deleted = paging.include_deleted;
    filter.modified_since = paging.modified_since;
    let query = ListQuery {
        kind: T::KIND,
        filter,
        sort: paging.sort_by.into(),
        descending: paging.descending,
        after: paging.after,
        first: u32::try_from(paging.first)
            .unwrap_or(MAX_PAGE_SIZE)
            .min(MAX_PAGE_SIZE),
    };
    let page = council
        .api
        .list(&council.caller, council.tenant, query)
        .await
        .map_err(to_gql)?;
    council.remember(&page.items).await;
    let mut connection = Connection::with_additional_fields(
        false,
        page.has_next_page,
        Totals {
            total_count: page.total_count,
        },
    );
    connection.edges.extend(
        page.items
            .into_iter()
            .zip(page.cursors)
            .filter_map(|(object, cursor)| T::from_object(object).map(|n| Edge::new(cursor, n))),
    );
    Ok(connection)
}

/// The first live object of kind `T` that `filter` matches (lookups by number or reference).
pub(crate) async fn find_one<T: Node + OutputType>(
    council: &Council,
    filter: Filter,
) -> Result<Option<T>> {
    let page = list::<T>(council, filter, Paging::forward(1, None)).await?;
    Ok(page.edges.into_iter().next().map(|edge| edge.node))
}
