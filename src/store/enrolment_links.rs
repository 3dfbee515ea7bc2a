//! One-time links that set up an account's second factor (issue 14): whoever learns a
//! password does not get to enrol it. The table keeps the token's hash only.

use chrono::{DateTime, Duration, Utc};

use super::users::LinkMail;
use super::{query, query_scalar, Store, StoreError, User};

/// How long an enrolment link works.
pub const ENROLMENT_LINK_LIFETIME: Duration = Duration::hours(24);

impl Store {
    /// Creates an enrolment link for `user` (and, in the same transaction, its mail when
    /// one is given).
    pub async fn create_enrolment_link(
        &self,
        user: &User,
        token: &str,
        now: DateTime<Utc>,
        mail: Option<LinkMail<'_>>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        query(
            "INSERT INTO enrolment_links (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(crate::auth::token_hash(token))
        .bind(user.id)
        .bind(now)
        .bind(now + ENROLMENT_LINK_LIFETIME)
        .execute(&mut tx)
        .await?;
        if let Some(mail) = mail {
            super::users::queue_link_mail(&mut tx, user, token, now, &mail).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether `user_id` was given an enrolment link since `since` that still works (so
    /// that repeated password logins do not flood the mailbox).
    pub async fn recent_enrolment_link(
        &self,
        user_id: i64,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let count: i64 = query_scalar(
            "SELECT COUNT(*) FROM enrolment_links WHERE user_id = $1 AND created_at > $2 \
             AND used_at IS NULL AND expires_at > $3",
        )
        .bind(user_id)
        .bind(since)
        .bind(now)
        .fetch_one(self)
        .await?;
        Ok(count > 0)
    }

    /// The (active) account of an unused, unexpired link whose account has no second
    /// factor yet; `None` otherwise.
    pub async fn enrolment_link_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, StoreError> {
        let user_id: Option<i64> = query_scalar(
            "SELECT l.user_id FROM enrolment_links l JOIN users u ON u.id = l.user_id \
             WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > $2 \
             AND u.totp_secret IS NULL",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self)
        .await?;
        match user_id {
            Some(id) => self.user_by_id(id).await,
            None => Ok(None),
        }
    }

    /// Marks a link used; true for the first use before expiry only.
    pub async fn use_enrolment_link(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = query(
            "UPDATE enrolment_links SET used_at = $2 \
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .execute(self)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
