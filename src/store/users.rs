//! Accounts, sessions and the audit trail.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{query, query_as, query_scalar, Store, StoreError};
use crate::domain::{EmailAddress, Role};

/// How stale a session's `last_seen_at` may be before a request writes it again: the
/// idle timeout counts from the last write, so a session may end up to this much before
/// 30 minutes of real idleness.
pub const SESSION_SEEN_PRECISION: chrono::Duration = chrono::Duration::minutes(1);

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: EmailAddress,
    pub display_name: String,
    pub role: Role,
    pub password_hash: Option<String>,
    pub caller_id: Option<i64>,
    pub territory_id: Option<i64>,
    /// A relay account: the organisation (associations' reserve, school) it manages
    /// the volunteers of.
    pub organisation_id: Option<i64>,
    /// A volunteer account: the volunteer of the pool it speaks for.
    pub volunteer_id: Option<i64>,
}

/// An account as the rest of lien sees it (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub caller_id: Option<i64>,
    pub territory_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub volunteer_id: Option<i64>,
    pub language: String,
    pub active: bool,
}

pub(super) const USER_COLUMNS: &str = "id, email, display_name, role, caller_id, territory_id, \
     organisation_id, volunteer_id, language, active";

/// Someone did something to a record. Ids and codes only: never personal data.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    pub actor_user_id: Option<i64>,
    /// Who, when there is no account (e.g. "cli", "system").
    pub actor_label: &'a str,
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: Option<i64>,
    pub detail: Option<String>,
}

impl<'a> AuditEvent<'a> {
    /// An account did `action` to a record; a `detail` is added with `..AuditEvent::by_user(…)`.
    pub fn by_user(
        user_id: i64,
        action: &'a str,
        subject_type: &'a str,
        subject_id: Option<i64>,
    ) -> Self {
        Self {
            actor_user_id: Some(user_id),
            actor_label: "user",
            action,
            subject_type,
            subject_id,
            detail: None,
        }
    }
}

impl Store {
    pub async fn create_user(&self, new: &NewUser) -> Result<User, StoreError> {
        let sql = format!(
            "INSERT INTO users (email, display_name, role, password_hash, caller_id, \
             territory_id, created_at, organisation_id, volunteer_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {USER_COLUMNS}"
        );
        let result: Result<User, sqlx::Error> = query_as(&sql)
            .bind(new.email.as_str())
            .bind(new.display_name.trim())
            .bind(new.role)
            .bind(new.password_hash.as_deref())
            .bind(new.caller_id)
            .bind(new.territory_id)
            .bind(Utc::now())
            .bind(new.organisation_id)
            .bind(new.volunteer_id)
            .fetch_one(self)
            .await;
        result.map_err(|e| {
            StoreError::on_unique(e, || StoreError::EmailTaken(new.email.as_str().to_string()))
        })
    }

    /// The account with this email and its password hash, if it exists and is active.
    /// The account whose email, normalised by [`login_key`], is `email`.
    pub async fn user_for_login(
        &self,
        email: &str,
    ) -> Result<Option<(User, Option<String>)>, StoreError> {
        // No address holds a NUL character, and PostgreSQL refuses one in a text value.
        if email.contains('\0') {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1 AND active = TRUE"
        );
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: User,
            password_hash: Option<String>,
        }
        let row: Option<Row> = query_as(&sql)
            .bind(login_key(email))
            .fetch_optional(self)
            .await?;
        Ok(row.map(|r| (r.user, r.password_hash)))
    }

    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY role, email");
        Ok(query_as(&sql).fetch_all(self).await?)
    }

    pub async fn set_password_hash(&self, user_id: i64, hash: &str) -> Result<(), StoreError> {
        query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user_id)
            .bind(hash)
            .execute(self)
            .await?;
        Ok(())
    }

    /// Starts a session (the token's hash is the key) and notes the login.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(self)
        .await?;
        query("UPDATE users SET last_login_at = $2 WHERE id = $1")
            .bind(user_id)
            .bind(now)
            .execute(self)
            .await?;
        Ok(())
    }

    /// The user of a live session, and marks it seen (when last marked more than
    /// [`SESSION_SEEN_PRECISION`] ago). A session idle since before `idle_since`, or past
    /// its absolute expiry, is deleted and gives `None`.
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<Option<User>, StoreError> {
        // Written once: every request of a signed-in user runs it.
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {}, s.last_seen_at, s.expires_at \
                 FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND u.active = TRUE",
                USER_COLUMNS
                    .split(", ")
                    .map(|c| format!("u.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: User,
            last_seen_at: DateTime<Utc>,
            expires_at: DateTime<Utc>,
        }
        let row: Option<Row> = query_as(&SQL).bind(token_hash).fetch_optional(self).await?;
        let Some(row) = row else { return Ok(None) };
        if row.last_seen_at < idle_since || row.expires_at <= now {
            self.delete_session(token_hash).await?;
            return Ok(None);
        }
        // A write per request serialised every request on SQLite's write lock (and
        // cost PostgreSQL a WAL flush each): the time seen is kept to the minute, which
        // is all a 30-minute idle timeout needs (docs/PERFORMANCE.md, "Under load").
        if now - row.last_seen_at >= SESSION_SEEN_PRECISION {
            query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
                .bind(token_hash)
                .bind(now)
                .execute(self)
                .await?;
        }
        Ok(Some(row.user))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self)
            .await?;
        Ok(())
    }

    /// "Log out everywhere".
    pub async fn delete_user_sessions(&self, user_id: i64) -> Result<u64, StoreError> {
        let done = query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(self)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn record_audit(&self, event: &AuditEvent<'_>) -> Result<(), StoreError> {
        audit_in(self, event).await
    }
}

/// Records `event` on the pool or inside a write's transaction.
pub(super) async fn audit_in<'c>(
    exec: impl Into<super::Exec<'c>>,
    event: &AuditEvent<'_>,
) -> Result<(), StoreError> {
    query(
        "INSERT INTO audit_events \
         (at, actor_user_id, actor_label, action, subject_type, subject_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Utc::now())
    .bind(event.actor_user_id)
    .bind(event.actor_label)
    .bind(event.action)
    .bind(event.subject_type)
    .bind(event.subject_id)
    .bind(event.detail.as_deref())
    .execute(exec)
    .await?;
    Ok(())
}

impl Store {
    pub async fn caller_id_by_email(&self, email: &str) -> Result<Option<i64>, StoreError> {
        let id = query_scalar("SELECT id FROM callers WHERE email = $1")
            .bind(login_key(email))
            .fetch_optional(self)
            .await?;
        Ok(id)
    }

    pub async fn territory_id_by_code(&self, code: &str) -> Result<Option<i64>, StoreError> {
        let id = query_scalar("SELECT id FROM territories WHERE code = $1")
            .bind(code.trim())
            .fetch_optional(self)
            .await?;
        Ok(id)
    }
}

impl Store {
    /// "CODE – name" of every territory, by id.
    pub async fn territory_names(
        &self,
    ) -> Result<std::collections::HashMap<i64, String>, StoreError> {
        let rows: Vec<(i64, String, String)> = query_as("SELECT id, code, name FROM territories")
            .fetch_all(self)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, code, name)| (id, format!("{code} – {name}")))
            .collect())
    }
}

impl Store {
    /// Creates a one-time login link for `user` and, in the same transaction, the mail
    /// that carries it. The database keeps the token's hash; the outbox row keeps the
    /// body with a placeholder and the token beside it until the mail is sent.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_login_link(
        &self,
        user: &User,
        token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        subject: &str,
        body: &str,
        message_id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        query(
            "INSERT INTO login_links (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(crate::auth::token_hash(token))
        .bind(user.id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut tx)
        .await?;
        let mail = LinkMail {
            subject,
            body,
            message_id,
        };
        queue_link_mail(&mut tx, user, token, now, &mail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The language of an account's pages and mails: set when its owner picks one with
    /// the language switch of a page, or by an administrator.
    pub async fn set_user_language(
        &self,
        user_id: i64,
        language: crate::messages::Language,
    ) -> Result<(), StoreError> {
        query("UPDATE users SET language = $2 WHERE id = $1")
            .bind(user_id)
            .bind(language.code())
            .execute(self)
            .await?;
        Ok(())
    }

    /// Uses a login link: the first use before expiry gives its (active) user; any later
    /// use, or an expired link, gives `None`.
    pub async fn use_login_link(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, StoreError> {
        let used: Option<i64> = query_scalar(
            "UPDATE login_links SET used_at = $2 \
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
             RETURNING user_id",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self)
        .await?;
        let Some(user_id) = used else {
            return Ok(None);
        };
        self.user_by_id(user_id).await
    }
}

/// A mail that carries a one-time link (login or enrolment): its body has the token in
/// clear, which the outbox replaces by the placeholder and keeps beside until sent.
pub struct LinkMail<'a> {
    pub subject: &'a str,
    pub body: &'a str,
    pub message_id: &'a str,
}

/// Queues `mail` to `user` (kind `login_link`) in the transaction that creates its link.
pub(super) async fn queue_link_mail(
    tx: &mut super::Tx,
    user: &User,
    token: &str,
    now: DateTime<Utc>,
    mail: &LinkMail<'_>,
) -> Result<(), StoreError> {
    queue_token_mail(tx, "login_link", &user.email, token, now, mail).await
}

/// Queues `mail` of outbox `kind` to `recipient`, the token kept beside the body.
pub(super) async fn queue_token_mail(
    tx: &mut super::Tx,
    kind: &str,
    recipient: &str,
    token: &str,
    now: DateTime<Utc>,
    mail: &LinkMail<'_>,
) -> Result<(), StoreError> {
    query(
        "INSERT INTO outbox (kind, recipients, subject, body_text, message_id, status, \
         next_attempt_at, created_at, secret_token) \
         VALUES ($7, $1, $2, $3, $4, 'pending', $5, $5, $6)",
    )
    .bind(recipient)
    .bind(mail.subject)
    .bind(mail.body.replace(token, crate::records::SECRET_PLACEHOLDER))
    .bind(mail.message_id)
    .bind(now)
    .bind(token)
    .bind(kind)
    .execute(tx)
    .await?;
    Ok(())
}

/// Where an account stands with its second factor.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct TotpState {
    /// The confirmed secret (base32), once set up.
    pub totp_secret: Option<String>,
    /// A secret shown for set-up, not confirmed by a code yet.
    pub totp_pending_secret: Option<String>,
    pub totp_last_step: Option<i64>,
}

impl Store {
    /// The active account with this id.
    pub async fn user_by_id(&self, user_id: i64) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND active = TRUE");
        Ok(query_as(&sql).bind(user_id).fetch_optional(self).await?)
    }

    pub async fn totp_state(&self, user_id: i64) -> Result<TotpState, StoreError> {
        let row: Option<TotpState> = query_as(
            "SELECT totp_secret, totp_pending_secret, totp_last_step FROM users WHERE id = $1",
        )
        .bind(user_id)
        .fetch_optional(self)
        .await?;
        Ok(row.unwrap_or_default())
    }

    /// Keeps a secret being set up (replacing an earlier unconfirmed one).
    pub async fn set_pending_totp(&self, user_id: i64, secret: &str) -> Result<(), StoreError> {
        query("UPDATE users SET totp_pending_secret = $2 WHERE id = $1 AND totp_secret IS NULL")
            .bind(user_id)
            .bind(secret)
            .execute(self)
            .await?;
        Ok(())
    }

    /// Accepts the code of `step` for `user_id`: true once per step, and only for a step
    /// later than the last accepted one, even when two requests race. With `confirm`, the
    /// pending secret becomes the account's secret at the same time.
    pub async fn accept_totp_step(
        &self,
        user_id: i64,
        step: i64,
        confirm: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = if confirm {
            let sql =
                "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, \
                 totp_confirmed_at = $3, totp_last_step = $2 \
                 WHERE id = $1 AND totp_secret IS NULL AND totp_pending_secret IS NOT NULL \
                 AND (totp_last_step IS NULL OR totp_last_step < $2)";
            query(sql)
                .bind(user_id)
                .bind(step)
                .bind(now)
                .execute(self)
                .await?
        } else {
            let sql =
                "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_secret IS NOT NULL \
                 AND (totp_last_step IS NULL OR totp_last_step < $2)";
            query(sql).bind(user_id).bind(step).execute(self).await?
        };
        Ok(done.rows_affected() == 1)
    }

    /// Removes the second factor (lost phone): the next login sets up a new one. Ends the
    /// account's sessions.
    pub async fn reset_totp(&self, user_id: i64) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        query(
            "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, \
             totp_confirmed_at = NULL, totp_last_step = NULL WHERE id = $1",
        )
        .bind(user_id)
        .execute(&mut tx)
        .await?;
        query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// An email as typed at login, normalised as accounts are looked up (spaces around
/// removed, lower case). The login limiter keys its buckets with the same function, so
/// that `" A@x.fr"` and `"a@x.fr"` are one account and one allowance.
pub fn login_key(email: &str) -> String {
    email.trim().to_lowercase()
}
