//! The address a request comes from, for the access log and rate limits.

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request};
use std::net::{IpAddr, SocketAddr};

/// The client's address: the TCP peer, or, behind a trusted proxy, the last
/// `X-Forwarded-For` entry (the one that proxy added; earlier ones the client could forge).
pub fn address(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_forwarded_for: bool,
) -> Option<IpAddr> {
    if trust_forwarded_for
        && let Some(forwarded) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|v| v.trim().parse::<IpAddr>().ok())
            .next_back()
    {
        return Some(forwarded);
    }
    peer.map(|p| p.ip())
}

pub fn address_of<B>(request: &Request<B>, trust_forwarded_for: bool) -> Option<IpAddr> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    address(request.headers(), peer, trust_forwarded_for)
}
