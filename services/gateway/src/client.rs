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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        let peer: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        // A client could write any X-Forwarded-For itself: without trust the peer counts.
        assert_eq!(address(&headers, Some(peer), false), Some(peer.ip()));
        // Behind the proxy, its own (last) entry counts, not the client's first one.
        assert_eq!(
            address(&headers, Some(peer), true),
            Some("198.51.100.7".parse().unwrap())
        );
        assert_eq!(
            address(&HeaderMap::new(), Some(peer), true),
            Some(peer.ip())
        );
    }
}
