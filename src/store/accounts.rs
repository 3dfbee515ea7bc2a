//! Managing accounts (issue 13): the admins' list, invitations, role and scope changes,
//! deactivation and reactivation, with the rules that keep lien usable (an active admin
//! always remains, a caller account speaks for a caller, a territory account for a
//! territory). Each change is audited in the transaction that makes it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::users::{audit_in, queue_token_mail, AuditEvent, LinkMail, User};
use super::{query, query_as, query_scalar, Store, StoreError, Tx};
use crate::domain::{EmailAddress, Role};
use crate::messages::account_mails::account_invitation;
use crate::messages::Language;

/// How long the link of an account invitation works (as a callers' import invitation).
pub use super::imports::INVITATION_LIFETIME as ACCOUNT_INVITATION_LIFETIME;

/// Who changes an account: an admin in the browser, or the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountActor {
    User(i64),
    Cli,
}

impl AccountActor {
    fn event<'a>(self, action: &'a str, subject_id: i64, detail: Option<String>) -> AuditEvent<'a> {
        let (actor_user_id, actor_label) = match self {
            AccountActor::User(id) => (Some(id), "user"),
            AccountActor::Cli => (None, "cli"),
        };
        AuditEvent {
            actor_user_id,
            actor_label,
            action,
            subject_type: "user",
            subject_id: Some(subject_id),
            detail,
        }
    }
}

/// Why an account change is refused; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("no such account")]
    NotFound,
    #[error("the last active administrator cannot be deactivated or given another role")]
    LastAdmin,
    #[error("an administrator cannot deactivate their own account")]
    OwnAccount,
    #[error("a territory account needs a territory")]
    TerritoryMissing,
    #[error("a caller account needs a caller of the callers list")]
    CallerMissing,
    #[error("this caller already has an account")]
    CallerTaken,
    #[error("a relay account needs its organisation")]
    OrganisationMissing,
    #[error("a volunteer account needs a volunteer of the pool")]
    VolunteerMissing,
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AccountError {
    fn from(e: sqlx::Error) -> Self {
        AccountError::Store(e.into())
    }
}

impl AccountError {
    /// The catalogue key of the sentence that says what to do.
    pub fn key(&self) -> &'static str {
        match self {
            AccountError::NotFound => "accounts.refused.not_found",
            AccountError::LastAdmin => "accounts.refused.last_admin",
            AccountError::OwnAccount => "accounts.refused.own_account",
            AccountError::TerritoryMissing => "accounts.refused.territory_missing",
            AccountError::CallerMissing => "accounts.refused.caller_missing",
            AccountError::CallerTaken => "accounts.refused.caller_taken",
            AccountError::OrganisationMissing => "accounts.refused.organisation_missing",
            AccountError::VolunteerMissing => "accounts.refused.volunteer_missing",
            AccountError::EmailTaken => "accounts.refused.email_taken",
            AccountError::Store(_) => "accounts.refused.store",
        }
    }
}

/// A role with what it speaks for, as asked (ids to be checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleScope {
    pub role: Role,
    pub territory_id: Option<i64>,
    pub caller_id: Option<i64>,
    /// A relay account's organisation.
    pub organisation_id: Option<i64>,
    /// A volunteer account's volunteer.
    pub volunteer_id: Option<i64>,
}

/// One line of the admins' list (no secrets).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AccountLine {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub territory_id: Option<i64>,
    /// "CODE – name" of the territory.
    pub territory: Option<String>,
    pub caller_id: Option<i64>,
    /// The linked caller's email in the callers list.
    pub caller_email: Option<String>,
    /// A relay account's organisation (its name).
    pub organisation: Option<String>,
    /// A volunteer account's email in the pool.
    pub volunteer_email: Option<String>,
    pub active: bool,
    pub second_factor: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub invited_at: Option<DateTime<Utc>>,
}

/// Which accounts the list shows.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// Part of the email or the name, any case.
    pub search: Option<String>,
}

impl AccountFilter {
    fn keeps(&self, line: &AccountLine) -> bool {
        let search = self.search.as_deref().map(str::trim).unwrap_or("");
        let needle = search.to_lowercase();
        self.role.is_none_or(|r| r == line.role)
            && self.active.is_none_or(|a| a == line.active)
            && (needle.is_empty()
                || line.email.to_lowercase().contains(&needle)
                || line.display_name.to_lowercase().contains(&needle))
    }
}

const ACCOUNT_SQL: &str = "SELECT u.id, u.email, u.display_name, u.role, u.territory_id, \
     CASE WHEN t.id IS NULL THEN NULL ELSE t.code || ' – ' || t.name END AS territory, \
     u.caller_id, c.email AS caller_email, o.name AS organisation, \
     v.email AS volunteer_email, u.active, \
     (u.totp_secret IS NOT NULL) AS second_factor, u.last_login_at, u.invited_at \
     FROM users u LEFT JOIN territories t ON t.id = u.territory_id \
     LEFT JOIN callers c ON c.id = u.caller_id \
     LEFT JOIN organisations o ON o.id = u.organisation_id \
     LEFT JOIN volunteers v ON v.id = u.volunteer_id";

/// An invitation as asked by an admin: the account is created without a password and
/// mailed a one-time login link.
#[derive(Debug, Clone)]
pub struct AccountInvite {
    pub email: EmailAddress,
    pub display_name: String,
    pub scope: RoleScope,
    /// The language of the account's pages and mails, the invitation first.
    pub language: Language,
}

impl Store {
    /// The accounts the filter keeps, by role then email (accounts are few: hundreds).
    pub async fn list_accounts(
        &self,
        filter: &AccountFilter,
    ) -> Result<Vec<AccountLine>, StoreError> {
        let sql = format!("{ACCOUNT_SQL} ORDER BY u.role, u.email");
        let lines: Vec<AccountLine> = query_as(&sql).fetch_all(self).await?;
        Ok(lines.into_iter().filter(|l| filter.keeps(l)).collect())
    }

    /// One account, active or not.
    pub async fn account(&self, user_id: i64) -> Result<Option<AccountLine>, StoreError> {
        let sql = format!("{ACCOUNT_SQL} WHERE u.id = $1");
        Ok(query_as(&sql).bind(user_id).fetch_optional(self).await?)
    }

    /// The id of the account with this email (see [`super::login_key`]), active or not.
    pub async fn account_id_by_email(&self, email: &str) -> Result<Option<i64>, StoreError> {
        Ok(query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(super::login_key(email))
            .fetch_optional(self)
            .await?)
    }

    /// How many sessions the account has open.
    pub async fn session_count(&self, user_id: i64) -> Result<i64, StoreError> {
        Ok(
            query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(self)
                .await?,
        )
    }

    /// The names of the organisations a relay account may manage (relays and schools
    /// first, then the others), by name.
    pub async fn organisation_names(&self) -> Result<Vec<String>, StoreError> {
        Ok(query_scalar(
            "SELECT name FROM organisations WHERE active = TRUE \
             ORDER BY CASE WHEN kind IN ('relay', 'school') THEN 0 ELSE 1 END, name",
        )
        .fetch_all(self)
        .await?)
    }

    /// The emails of the active callers no account speaks for yet (for the caller link).
    pub async fn callers_without_account(&self) -> Result<Vec<String>, StoreError> {
        Ok(query_scalar(
            "SELECT email FROM callers WHERE active = TRUE \
             AND id NOT IN (SELECT caller_id FROM users WHERE caller_id IS NOT NULL) \
             ORDER BY email",
        )
        .fetch_all(self)
        .await?)
    }

    /// Creates the account (no password) and, in the same transaction, its one-time
    /// login link and the invitation mail (outbox kind `invitation`) that carries it.
    pub async fn invite_account(
        &self,
        invite: &AccountInvite,
        base_url: &url::Url,
        actor: AccountActor,
        now: DateTime<Utc>,
    ) -> Result<User, AccountError> {
        let mut tx = self.begin().await?;
        let scope = checked_scope(&mut tx, invite.scope, None).await?;
        let taken: i64 = query_scalar("SELECT COUNT(*) FROM users WHERE email = $1")
            .bind(invite.email.as_str())
            .fetch_one(&mut tx)
            .await?;
        if taken > 0 {
            return Err(AccountError::EmailTaken);
        }
        let sql = format!(
            "INSERT INTO users (email, display_name, role, caller_id, territory_id, \
             created_at, invited_at, organisation_id, volunteer_id, language) \
             VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9) RETURNING {}",
            super::users::USER_COLUMNS
        );
        let user: User = query_as(&sql)
            .bind(invite.email.as_str())
            .bind(invite.display_name.trim())
            .bind(scope.role)
            .bind(scope.caller_id)
            .bind(scope.territory_id)
            .bind(now)
            .bind(scope.organisation_id)
            .bind(scope.volunteer_id)
            .bind(invite.language.code())
            .fetch_one(&mut tx)
            .await
            // Two invitations of one email at once: the unique key refuses the second.
            .map_err(|e| {
                match StoreError::on_unique(e, || StoreError::EmailTaken(String::new())) {
                    StoreError::EmailTaken(_) => AccountError::EmailTaken,
                    other => AccountError::Store(other),
                }
            })?;
        queue_invitation(&mut tx, &user, base_url, now).await?;
        let detail = Some(user.role.to_string());
        audit_in(&mut tx, &actor.event("user_invited", user.id, detail)).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Gives the account another role and scope. Refused for the last active admin
    /// leaving the admin role, and for a scope the role cannot have.
    pub async fn change_account_role(
        &self,
        user_id: i64,
        asked: RoleScope,
        actor: AccountActor,
    ) -> Result<(), AccountError> {
        let mut tx = self.begin().await?;
        let current = current_role(&mut tx, user_id).await?;
        let scope = checked_scope(&mut tx, asked, Some(user_id)).await?;
        if current.0 == Role::Admin && current.1 && scope.role != Role::Admin {
            refuse_last_admin(&mut tx, user_id).await?;
        }
        query(
            "UPDATE users SET role = $2, caller_id = $3, territory_id = $4, \
             organisation_id = $5, volunteer_id = $6 WHERE id = $1",
        )
        .bind(user_id)
        .bind(scope.role)
        .bind(scope.caller_id)
        .bind(scope.territory_id)
        .bind(scope.organisation_id)
        .bind(scope.volunteer_id)
        .execute(&mut tx)
        .await?;
        let detail = format!(
            "{}>{} territory={} caller={} organisation={} volunteer={}",
            current.0,
            scope.role,
            scope.territory_id.map_or("-".into(), |id| id.to_string()),
            scope.caller_id.map_or("-".into(), |id| id.to_string()),
            scope
                .organisation_id
                .map_or("-".into(), |id| id.to_string()),
            scope.volunteer_id.map_or("-".into(), |id| id.to_string()),
        );
        audit_in(
            &mut tx,
            &actor.event("user_role_changed", user_id, Some(detail)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deactivates the account and ends every one of its sessions at once: its next
    /// request meets the login page (401 under `/api`). Refused for one's own account
    /// and for the last active admin.
    pub async fn deactivate_user(
        &self,
        user_id: i64,
        actor: AccountActor,
    ) -> Result<(), AccountError> {
        if actor == AccountActor::User(user_id) {
            return Err(AccountError::OwnAccount);
        }
        let mut tx = self.begin().await?;
        let (role, active) = current_role(&mut tx, user_id).await?;
        if role == Role::Admin && active {
            refuse_last_admin(&mut tx, user_id).await?;
        }
        query("UPDATE users SET active = FALSE WHERE id = $1")
            .bind(user_id)
            .execute(&mut tx)
            .await?;
        let ended = query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut tx)
            .await?
            .rows_affected();
        let detail = Some(format!("sessions_ended={ended}"));
        audit_in(&mut tx, &actor.event("user_deactivated", user_id, detail)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lets a deactivated account log in again (its old sessions stay ended).
    pub async fn reactivate_user(
        &self,
        user_id: i64,
        actor: AccountActor,
    ) -> Result<(), AccountError> {
        let mut tx = self.begin().await?;
        current_role(&mut tx, user_id).await?;
        query("UPDATE users SET active = TRUE WHERE id = $1")
            .bind(user_id)
            .execute(&mut tx)
            .await?;
        audit_in(&mut tx, &actor.event("user_reactivated", user_id, None)).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The account's role and whether it is active.
async fn current_role(tx: &mut Tx, user_id: i64) -> Result<(Role, bool), AccountError> {
    let row: Option<(Role, bool)> = query_as("SELECT role, active FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
    row.ok_or(AccountError::NotFound)
}

/// Refuses when no other active admin would remain.
async fn refuse_last_admin(tx: &mut Tx, user_id: i64) -> Result<(), AccountError> {
    let others: i64 = query_scalar(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = TRUE AND id <> $1",
    )
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await?;
    if others == 0 {
        return Err(AccountError::LastAdmin);
    }
    Ok(())
}

/// The scope the role keeps (a territory for a territory account, a caller no other
/// account speaks for for a caller account, nothing for the others), checked against
/// the tables.
async fn checked_scope(
    tx: &mut Tx,
    asked: RoleScope,
    account: Option<i64>,
) -> Result<RoleScope, AccountError> {
    let mut scope = RoleScope {
        role: asked.role,
        territory_id: None,
        caller_id: None,
        organisation_id: None,
        volunteer_id: None,
    };
    match asked.role {
        Role::Territory => {
            let id = asked.territory_id.ok_or(AccountError::TerritoryMissing)?;
            let found: i64 = query_scalar("SELECT COUNT(*) FROM territories WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            if found == 0 {
                return Err(AccountError::TerritoryMissing);
            }
            scope.territory_id = Some(id);
        }
        Role::Caller => {
            let id = asked.caller_id.ok_or(AccountError::CallerMissing)?;
            let found: i64 = query_scalar("SELECT COUNT(*) FROM callers WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            if found == 0 {
                return Err(AccountError::CallerMissing);
            }
            let linked: i64 =
                query_scalar("SELECT COUNT(*) FROM users WHERE caller_id = $1 AND id <> $2")
                    .bind(id)
                    .bind(account.unwrap_or(0))
                    .fetch_one(&mut *tx)
                    .await?;
            if linked > 0 {
                return Err(AccountError::CallerTaken);
            }
            scope.caller_id = Some(id);
        }
        Role::Relay => {
            let id = asked
                .organisation_id
                .ok_or(AccountError::OrganisationMissing)?;
            if !exists(tx, "organisations", id).await? {
                return Err(AccountError::OrganisationMissing);
            }
            scope.organisation_id = Some(id);
        }
        Role::Volunteer => {
            let id = asked.volunteer_id.ok_or(AccountError::VolunteerMissing)?;
            if !exists(tx, "volunteers", id).await? {
                return Err(AccountError::VolunteerMissing);
            }
            scope.volunteer_id = Some(id);
        }
        Role::Coordinator | Role::Admin => {}
    }
    Ok(scope)
}

/// Whether `table` (a fixed name, never user input) has a row of this id.
async fn exists(tx: &mut Tx, table: &'static str, id: i64) -> Result<bool, AccountError> {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE id = $1");
    let found: i64 = query_scalar(&sql).bind(id).fetch_one(&mut *tx).await?;
    Ok(found > 0)
}

/// The one-time login link of an invitation and its mail, in the invitation's
/// transaction. The mail says no name, only what lien is and the link.
async fn queue_invitation(
    tx: &mut Tx,
    user: &User,
    base_url: &url::Url,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let (token, token_hash) = crate::auth::new_session_token();
    query(
        "INSERT INTO login_links (token_hash, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&token_hash)
    .bind(user.id)
    .bind(now)
    .bind(now + ACCOUNT_INVITATION_LIFETIME)
    .execute(&mut *tx)
    .await?;
    let link = base_url
        .join(&format!("login/link/{token}"))
        .map_err(|e| StoreError::Render(e.to_string()))?;
    let login = base_url
        .join("login")
        .map_err(|e| StoreError::Render(e.to_string()))?;
    let lang = Language::from_code(Some(&user.language));
    let days = ACCOUNT_INVITATION_LIFETIME.num_days();
    let written = account_invitation(user.role, lang, &link, &login, days);
    let message_id = format!(
        "<invitation-{}-{}@lien>",
        user.id,
        uuid::Uuid::new_v4().simple()
    );
    let mail = LinkMail {
        subject: &written.subject,
        body: &written.body,
        message_id: &message_id,
    };
    queue_token_mail(tx, "invitation", &user.email, &token, now, &mail).await?;
    Ok(())
}
