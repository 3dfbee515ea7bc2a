//! Signed, expiring links to one escalation: `/signalements/lien/{token}`.
//!
//! The token is `{escalation id}.{expiry, unix seconds}.{HMAC-SHA256}` under the server
//! key: it needs no storage, cannot be forged or moved to another escalation, and stops
//! working at its expiry (or when the key changes).

use chrono::{DateTime, Duration, TimeZone, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long the link in an escalation mail works.
pub const LINK_LIFETIME: Duration = Duration::days(30);

/// Why a link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the link is malformed or its signature is wrong")]
    Invalid,
    #[error("the link has expired")]
    Expired,
}

fn mac(secret: &[u8], escalation_id: i64, expires: i64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(format!("escalation:{escalation_id}:{expires}").as_bytes());
    mac
}

/// A token for `escalation_id` that works until `expires_at`.
pub fn sign(secret: &[u8], escalation_id: i64, expires_at: DateTime<Utc>) -> String {
    let expires = expires_at.timestamp();
    let signature = mac(secret, escalation_id, expires).finalize().into_bytes();
    format!("{escalation_id}.{expires}.{}", hex::encode(signature))
}

/// The escalation a token opens, if it is genuine and not expired at `now`.
pub fn verify(secret: &[u8], token: &str, now: DateTime<Utc>) -> Result<i64, TokenError> {
    let mut parts = token.trim().splitn(3, '.');
    let (Some(id), Some(expires), Some(signature)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Invalid);
    };
    let id: i64 = id.parse().map_err(|_| TokenError::Invalid)?;
    let expires: i64 = expires.parse().map_err(|_| TokenError::Invalid)?;
    let signature = hex::decode(signature).map_err(|_| TokenError::Invalid)?;
    mac(secret, id, expires)
        .verify_slice(&signature)
        .map_err(|_| TokenError::Invalid)?;
    let expires_at = Utc
        .timestamp_opt(expires, 0)
        .single()
        .ok_or(TokenError::Invalid)?;
    if expires_at <= now {
        return Err(TokenError::Expired);
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_signed_token_opens_its_escalation_until_it_expires() {
        let now = Utc::now();
        let token = sign(KEY, 42, now + LINK_LIFETIME);
        assert_eq!(verify(KEY, &token, now), Ok(42));
        assert_eq!(
            verify(KEY, &token, now + LINK_LIFETIME + Duration::seconds(1)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_changed_token_or_another_key_is_refused() {
        let now = Utc::now();
        let token = sign(KEY, 42, now + LINK_LIFETIME);
        let moved = token.replacen("42.", "43.", 1);
        assert_eq!(verify(KEY, &moved, now), Err(TokenError::Invalid));
        let longer = {
            let (_, rest) = token.split_once('.').unwrap();
            let (_, sig) = rest.split_once('.').unwrap();
            format!("42.{}.{sig}", (now + Duration::days(900)).timestamp())
        };
        assert_eq!(verify(KEY, &longer, now), Err(TokenError::Invalid));
        assert_eq!(
            verify(b"another key, 32 bytes long......", &token, now),
            Err(TokenError::Invalid)
        );
        for junk in ["", "42", "42.x.y", "a.b.c", "42.1.zz"] {
            assert_eq!(verify(KEY, junk, now), Err(TokenError::Invalid), "{junk}");
        }
    }
}
