//! The client address of a request, for throttling and the audit trail: the peer's
//! address, or — only when the peer is a configured trusted proxy
//! (`trusted_proxies`) — the nearest address of `X-Forwarded-For` that is not a trusted
//! proxy itself. A header sent by anyone else is ignored, so nobody picks their own
//! address (and its fresh allowance) by typing one.

use std::net::IpAddr;

use actix_web::HttpRequest;

use super::AppState;

/// The client address of `req`, as text ("" when unknown).
pub fn client_of(req: &HttpRequest, state: &AppState) -> String {
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    client_address(
        req.peer_addr().map(|a| a.ip()),
        &forwarded,
        &state.trusted_proxies,
    )
    .map(|ip| ip.to_string())
    .unwrap_or_default()
}

/// The rule, without the request: from a trusted peer, `X-Forwarded-For` is read from
/// the right (the hop nearest to us) and the first address that is not a trusted proxy
/// is the client; an entry that is not an address stops the walk (what lies left of it
/// cannot be trusted) and the last trusted hop is taken.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: &[&str],
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let hops = forwarded_for
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !trusted.contains(&ip) {
            break;
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let proxy = [ip("127.0.0.1")];
        let peer = Some(ip("127.0.0.1"));
        let stranger = Some(ip("198.51.100.9"));
        assert_eq!(client_address(stranger, &["203.0.113.7"], &proxy), stranger);
        assert_eq!(client_address(peer, &["203.0.113.7"], &[]), peer);
        assert_eq!(
            client_address(peer, &["203.0.113.7"], &proxy),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(client_address(peer, &[], &proxy), peer);
        assert_eq!(client_address(None, &["203.0.113.7"], &proxy), None);
    }

    #[test]
    fn a_forged_left_part_is_not_believed() {
        let proxies = [ip("127.0.0.1"), ip("10.0.0.2")];
        let peer = Some(ip("127.0.0.1"));
        // The client typed "1.1.1.1" itself; our proxies appended the real hops.
        assert_eq!(
            client_address(peer, &["1.1.1.1, 203.0.113.7, 10.0.0.2"], &proxies),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(
            client_address(peer, &["1.1.1.1", "203.0.113.7"], &proxies),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(
            client_address(peer, &["203.0.113.7, garbage, 10.0.0.2"], &proxies),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(
            client_address(peer, &["2001:db8::1"], &proxies),
            Some(ip("2001:db8::1"))
        );
    }
}
