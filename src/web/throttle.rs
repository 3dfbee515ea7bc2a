//! Login throttling with counters in the database (`attempt_counters`), so that every
//! instance of lien charges one allowance: login attempts per account and per client
//! address, wrong one-time codes per account.
//!
//! Bucket names are keyed exactly as accounts are looked up (`store::login_key`), and
//! stored as an HMAC under the secret key: the table never holds an email or an address.

use chrono::{Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::errors::AppError;
use super::AppState;

/// At most `max` attempts in a fixed window of `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: i64,
    pub window: Duration,
}

/// Login attempts (password or login link request) for one account.
pub const LOGIN_PER_ACCOUNT: Limit = Limit {
    max: 5,
    window: Duration::minutes(1),
};
/// Login attempts from one client address (all accounts together).
pub const LOGIN_PER_CLIENT: Limit = Limit {
    max: 30,
    window: Duration::minutes(1),
};
/// Wrong one-time codes for one account, on every path that checks one.
pub const CODES_PER_ACCOUNT: Limit = Limit {
    max: 5,
    window: Duration::minutes(15),
};

/// A bucket of attempts.
#[derive(Debug, Clone, Copy)]
pub enum Bucket<'a> {
    /// An account's logins, by the email as typed.
    Account(&'a str),
    /// A client address's logins.
    Client(&'a str),
    /// An account's one-time codes.
    Codes(i64),
}

impl Bucket<'_> {
    /// The bucket's name, before hashing: emails normalised as the lookup does.
    pub fn name(self) -> String {
        match self {
            Bucket::Account(email) => format!("login:{}", crate::store::login_key(email)),
            Bucket::Client(address) => format!("client:{address}"),
            Bucket::Codes(user_id) => format!("codes:{user_id}"),
        }
    }

    /// What the table keeps: an HMAC of the name under the secret key.
    pub fn key(self, secret: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(b"attempts:");
        mac.update(self.name().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Charges one attempt to `bucket`; true while it is within `limit`. Counters whose
/// window is over are deleted on the way.
pub async fn charge(state: &AppState, bucket: Bucket<'_>, limit: Limit) -> Result<bool, AppError> {
    let now = Utc::now();
    state.store.forget_expired_attempts(now).await?;
    let count = state
        .store
        .count_attempt(&bucket.key(&state.secret), now, limit.window)
        .await?;
    Ok(count <= limit.max)
}

/// Gives back an attempt charged to `bucket` (a code that turned out good).
pub async fn refund(state: &AppState, bucket: Bucket<'_>) -> Result<(), AppError> {
    Ok(state
        .store
        .refund_attempt(&bucket.key(&state.secret))
        .await?)
}

/// A login attempt for `email` from `client`: both buckets are charged, so that neither
/// can be probed through the other.
pub async fn allow_login(state: &AppState, email: &str, client: &str) -> Result<bool, AppError> {
    let account = charge(state, Bucket::Account(email), LOGIN_PER_ACCOUNT).await?;
    let address = charge(state, Bucket::Client(client), LOGIN_PER_CLIENT).await?;
    Ok(account && address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_account_however_its_email_is_typed() {
        let key = [7u8; 32];
        let expected = Bucket::Account("a@x.fr").key(&key);
        for typed in ["a@x.fr", " a@x.fr", "A@X.FR ", "\ta@X.fr", " A@x.FR"] {
            assert_eq!(Bucket::Account(typed).key(&key), expected, "{typed:?}");
        }
        assert_ne!(Bucket::Account("b@x.fr").key(&key), expected);
    }

    #[test]
    fn keys_hide_what_they_count_and_never_collide_across_kinds() {
        let key = [7u8; 32];
        let account = Bucket::Account("a@x.fr").key(&key);
        assert!(!account.contains("a@x.fr") && account.len() == 64);
        assert_ne!(account, Bucket::Account("a@x.fr").key(&[8u8; 32]));
        assert_ne!(
            Bucket::Client("1").key(&key),
            Bucket::Codes(1).key(&key),
            "kinds are apart"
        );
    }
}
