//! Managing accounts in the browser, for admins only (`Admin`): `/admin/comptes` lists
//! and invites, `/admin/comptes/{id}` changes role and scope, deactivates or
//! reactivates, resets the second factor and sends a login link. Each change is audited
//! by the store; each refusal is the page again with a sentence that says what to do.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, with_status, Nav};
use super::roles::Admin;
use super::AppState;
use crate::domain::{EmailAddress, Role};
use crate::messages::Language;
use crate::store::{
    AccountActor, AccountError, AccountFilter, AccountInvite, AccountLine, AuditEvent, RoleScope,
};

/// One account as the pages show it.
pub struct AccountView {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub role_code: &'static str,
    /// The territory's id as the select box has it ("" for none).
    pub territory_value: String,
    pub territory: Option<String>,
    pub caller: Option<String>,
    pub organisation: Option<String>,
    pub volunteer: Option<String>,
    pub active: bool,
    pub second_factor: bool,
    pub last_login: Option<String>,
    pub invited: bool,
}

impl AccountView {
    fn new(lang: Lang, line: AccountLine) -> Self {
        Self {
            id: line.id,
            email: line.email,
            name: line.display_name,
            role: role_label(lang, line.role),
            role_code: line.role.as_str(),
            territory_value: line
                .territory_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            territory: line.territory,
            caller: line.caller_email,
            organisation: line.organisation,
            volunteer: line.volunteer_email,
            active: line.active,
            second_factor: line.second_factor,
            last_login: line
                .last_login_at
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
            invited: line.invited_at.is_some(),
        }
    }
}

fn role_label(lang: Lang, role: Role) -> &'static str {
    match lang {
        Lang::Fr => role.label_fr(),
        Lang::En => role.label_en(),
    }
}

/// A choice of a select box.
pub struct Choice {
    pub value: String,
    pub label: String,
}

fn role_choices(lang: Lang) -> Vec<Choice> {
    [
        Role::Coordinator,
        Role::Caller,
        Role::Territory,
        Role::Admin,
        Role::Relay,
        Role::Volunteer,
    ]
    .into_iter()
    .map(|r| Choice {
        value: r.as_str().to_string(),
        label: role_label(lang, r).to_string(),
    })
    .collect()
}

/// What the role and scope forms offer: territories and callers without an account.
struct ScopeChoices {
    roles: Vec<Choice>,
    territories: Vec<Choice>,
    callers: Vec<String>,
    /// Organisation names (a relay account's organisation).
    organisations: Vec<String>,
}

async fn scope_choices(state: &AppState, lang: Lang) -> Result<ScopeChoices, AppError> {
    let mut territories: Vec<Choice> = state
        .store
        .territory_names()
        .await?
        .into_iter()
        .map(|(id, label)| Choice {
            value: id.to_string(),
            label,
        })
        .collect();
    territories.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(ScopeChoices {
        roles: role_choices(lang),
        territories,
        callers: state.store.callers_without_account().await?,
        organisations: state.store.organisation_names().await?,
    })
}

#[derive(Template)]
#[template(path = "admin_accounts.html")]
struct ListPage {
    tr: Tr,
    nav: Nav,
    accounts: Vec<AccountView>,
    query: ListQuery,
    choices: ScopeChoices,
    invite: InviteForm,
    done: Option<&'static str>,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "admin_account.html")]
struct AccountPage {
    tr: Tr,
    nav: Nav,
    account: AccountView,
    choices: ScopeChoices,
    is_self: bool,
    done: Option<&'static str>,
    error: Option<&'static str>,
}

/// The filters of the list, and the flash of the last change.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub role: String,
    pub active: String,
    pub q: String,
    pub done: String,
}

impl ListQuery {
    fn filter(&self) -> AccountFilter {
        AccountFilter {
            role: self.role.parse().ok(),
            active: match self.active.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            search: Some(self.q.clone()).filter(|q| !q.trim().is_empty()),
        }
    }
}

/// The flash of a done change, by its code in the redirect.
fn done_key(code: &str) -> Option<&'static str> {
    Some(match code {
        "invited" => "accounts.done.invited",
        "role" => "accounts.done.role",
        "deactivated" => "accounts.done.deactivated",
        "reactivated" => "accounts.done.reactivated",
        "second_factor" => "accounts.done.second_factor",
        "login_link" => "accounts.done.login_link",
        _ => return None,
    })
}

fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// `GET /admin/comptes`: the accounts, filtered, and the invitation form.
pub async fn list(
    req: HttpRequest,
    lang: Lang,
    Admin(admin): Admin,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let done = done_key(&query.done);
    list_page(
        &req,
        lang,
        &admin,
        &state,
        query,
        InviteForm::default(),
        done,
        None,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn list_page(
    req: &HttpRequest,
    lang: Lang,
    admin: &super::session::CurrentUser,
    state: &AppState,
    query: ListQuery,
    invite: InviteForm,
    done: Option<&'static str>,
    error: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let accounts = state
        .store
        .list_accounts(&query.filter())
        .await?
        .into_iter()
        .map(|line| AccountView::new(lang, line))
        .collect();
    let page = ListPage {
        tr: lang.tr(),
        nav: admin.nav(),
        accounts,
        query,
        choices: scope_choices(state, lang).await?,
        invite,
        done,
        error,
    };
    html_page(req, &page)
}

/// The invitation form as posted (every field optional, so that a bad post is refused
/// by its CSRF token, not by its shape).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    pub csrf: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub territory: String,
    pub caller: String,
    /// A relay account's organisation, by name.
    pub organisation: String,
    /// A volunteer account's email in the pool (the invited email when left empty).
    pub volunteer: String,
    /// `fr` or `en`: the account's pages and mails, its invitation first (French when
    /// left empty).
    pub language: String,
}

/// The scope fields of a form, as typed.
pub struct AskedScope<'a> {
    pub role: &'a str,
    pub territory: &'a str,
    pub caller: &'a str,
    pub organisation: &'a str,
    pub volunteer: &'a str,
}

/// The role and its scope from a form: the territory by id, the caller by the email
/// of the callers list, the volunteer by the email of the pool (for an invitation,
/// the invited email when left empty), the organisation by name.
async fn asked_scope(
    state: &AppState,
    asked: AskedScope<'_>,
    default_email: Option<&str>,
) -> Result<Result<RoleScope, &'static str>, AppError> {
    let Ok(role) = asked.role.parse::<Role>() else {
        return Ok(Err("accounts.refused.bad_role"));
    };
    let caller = Some(asked.caller.trim())
        .filter(|c| !c.is_empty())
        .or(default_email);
    let volunteer = Some(asked.volunteer.trim())
        .filter(|c| !c.is_empty())
        .or(default_email);
    let caller_id = match (role, caller) {
        (Role::Caller, Some(email)) => state.store.caller_id_by_email(email).await?,
        _ => None,
    };
    let volunteer_id = match (role, volunteer) {
        (Role::Volunteer, Some(email)) => state.store.volunteer_id_by_email(email).await?,
        _ => None,
    };
    let organisation_id = match (role, asked.organisation.trim()) {
        (Role::Relay, name) if !name.is_empty() => {
            state.store.organisation_id_by_name(name).await?
        }
        _ => None,
    };
    Ok(Ok(RoleScope {
        role,
        territory_id: asked.territory.trim().parse().ok(),
        caller_id,
        organisation_id,
        volunteer_id,
    }))
}

/// `POST /admin/comptes`: invites an account (no password; a login link is mailed).
pub async fn invite(
    req: HttpRequest,
    lang: Lang,
    Admin(admin): Admin,
    state: web::Data<AppState>,
    form: web::Form<InviteForm>,
) -> Result<HttpResponse, AppError> {
    admin.check_csrf(&state, &form.csrf)?;
    let form = form.into_inner();
    let refused = match invite_from(&state, admin.user.id, &form).await? {
        Ok(()) => return Ok(see_other("/admin/comptes?done=invited".into())),
        Err(key) => key,
    };
    let page = list_page(
        &req,
        lang,
        &admin,
        &state,
        ListQuery::default(),
        form,
        None,
        Some(refused),
    )
    .await?;
    Ok(with_status(page, StatusCode::CONFLICT))
}

/// Invites from the form; `Err` is the catalogue key of the refusal.
async fn invite_from(
    state: &AppState,
    admin_id: i64,
    form: &InviteForm,
) -> Result<Result<(), &'static str>, AppError> {
    let Ok(email) = EmailAddress::parse(&form.email) else {
        return Ok(Err("accounts.refused.bad_email"));
    };
    let name = match form.name.trim() {
        "" => email.as_str().to_string(),
        name if name.chars().count() > 200 => return Ok(Err("accounts.refused.name")),
        name => name.to_string(),
    };
    let asked = AskedScope {
        role: &form.role,
        territory: &form.territory,
        caller: &form.caller,
        organisation: &form.organisation,
        volunteer: &form.volunteer,
    };
    let scope = match asked_scope(state, asked, Some(email.as_str())).await? {
        Ok(scope) => scope,
        Err(key) => return Ok(Err(key)),
    };
    let language = match form.language.trim() {
        "" => Language::Fr,
        code => match Lang::parse(code) {
            Some(lang) => Language::from(lang),
            None => return Ok(Err("accounts.refused.language")),
        },
    };
    let invite = AccountInvite {
        email,
        display_name: name,
        scope,
        language,
    };
    let actor = AccountActor::User(admin_id);
    match state
        .store
        .invite_account(&invite, &state.base_url, actor, Utc::now())
        .await
    {
        Ok(_) => Ok(Ok(())),
        Err(AccountError::Store(e)) => Err(e.into()),
        Err(refused) => Ok(Err(refused.key())),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AccountQuery {
    pub done: String,
}

/// `GET /admin/comptes/{id}`: one account and what can be done to it.
pub async fn show(
    req: HttpRequest,
    lang: Lang,
    Admin(admin): Admin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<AccountQuery>,
) -> Result<HttpResponse, AppError> {
    let done = done_key(&query.done);
    account_page(&req, lang, &admin, &state, *id, done, None).await
}

async fn account_page(
    req: &HttpRequest,
    lang: Lang,
    admin: &super::session::CurrentUser,
    state: &AppState,
    id: i64,
    done: Option<&'static str>,
    error: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let line = state.store.account(id).await?.ok_or(AppError::NotFound)?;
    let page = AccountPage {
        tr: lang.tr(),
        nav: admin.nav(),
        account: AccountView::new(lang, line),
        choices: scope_choices(state, lang).await?,
        is_self: admin.user.id == id,
        done,
        error,
    };
    html_page(req, &page)
}

/// The forms of one account's page (each uses what it needs).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChangeForm {
    pub csrf: String,
    pub role: String,
    pub territory: String,
    pub caller: String,
    pub organisation: String,
    pub volunteer: String,
    /// The confirmation box of a deactivation or a second-factor reset.
    pub confirm: String,
}

/// After a change: the account's page with its flash, or again with the refusal.
async fn answer(
    req: &HttpRequest,
    lang: Lang,
    admin: &super::session::CurrentUser,
    state: &AppState,
    id: i64,
    outcome: Outcome,
) -> Result<HttpResponse, AppError> {
    match outcome {
        Ok(done) => Ok(see_other(format!("/admin/comptes/{id}?done={done}"))),
        Err(refused) => {
            let page = account_page(req, lang, admin, state, id, None, Some(refused)).await?;
            Ok(with_status(page, StatusCode::CONFLICT))
        }
    }
}

/// A store refusal as its catalogue key; other errors go on.
fn refusal(result: Result<(), AccountError>, done: &'static str) -> Result<Outcome, AppError> {
    match result {
        Ok(()) => Ok(Ok(done)),
        Err(AccountError::NotFound) => Err(AppError::NotFound),
        Err(AccountError::Store(e)) => Err(e.into()),
        Err(refused) => Ok(Err(refused.key())),
    }
}

/// What an admin did, or the catalogue key of the refusal.
type Outcome = Result<&'static str, &'static str>;

/// `POST /admin/comptes/{id}/{action}`: `role` (another role and scope), `deactivate`
/// and `second-factor` (with the confirmation box), `reactivate`, `login-link`; then
/// the account's page with its flash, or again with the refusal.
pub async fn act(
    req: HttpRequest,
    lang: Lang,
    Admin(admin): Admin,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, AppError> {
    admin.check_csrf(&state, &form.csrf)?;
    let (id, action) = path.into_inner();
    let by = AccountActor::User(admin.user.id);
    let confirmed = form.confirm == "yes";
    let outcome = match action.as_str() {
        "role" => change_role(&state, id, by, &form).await?,
        "deactivate" if !confirmed => Err("accounts.refused.confirm"),
        "deactivate" => refusal(state.store.deactivate_user(id, by).await, "deactivated")?,
        "reactivate" => refusal(state.store.reactivate_user(id, by).await, "reactivated")?,
        "second-factor" => reset_second_factor(&state, id, admin.user.id, confirmed).await?,
        "login-link" => send_login_link(&state, id, admin.user.id).await?,
        _ => return Err(AppError::NotFound),
    };
    answer(&req, lang, &admin, &state, id, outcome).await
}

/// Another role and scope.
async fn change_role(
    state: &AppState,
    id: i64,
    by: AccountActor,
    form: &ChangeForm,
) -> Result<Outcome, AppError> {
    let asked = AskedScope {
        role: &form.role,
        territory: &form.territory,
        caller: &form.caller,
        organisation: &form.organisation,
        volunteer: &form.volunteer,
    };
    match asked_scope(state, asked, None).await? {
        Ok(scope) => refusal(state.store.change_account_role(id, scope, by).await, "role"),
        Err(key) => Ok(Err(key)),
    }
}

/// The active account `id`, or the refusal to mail an inactive one.
async fn active_account(
    state: &AppState,
    id: i64,
) -> Result<Result<crate::store::User, &'static str>, AppError> {
    state.store.account(id).await?.ok_or(AppError::NotFound)?;
    Ok(state
        .store
        .user_by_id(id)
        .await?
        .ok_or("accounts.refused.inactive"))
}

/// Removes the second factor, ends the sessions and mails a new enrolment link.
async fn reset_second_factor(
    state: &AppState,
    id: i64,
    admin: i64,
    confirmed: bool,
) -> Result<Outcome, AppError> {
    let user = match active_account(state, id).await? {
        Err(key) => return Ok(Err(key)),
        Ok(_) if !confirmed => return Ok(Err("accounts.refused.confirm")),
        Ok(user) => user,
    };
    state.store.reset_totp(user.id).await?;
    super::enrolment::send_link(state, &user, Utc::now()).await?;
    audit(state, admin, "totp_reset", user.id).await?;
    Ok(Ok("second_factor"))
}

/// Mails the account a one-time login link.
async fn send_login_link(state: &AppState, id: i64, admin: i64) -> Result<Outcome, AppError> {
    let user = match active_account(state, id).await? {
        Err(key) => return Ok(Err(key)),
        Ok(user) => user,
    };
    super::session::send_login_link(state, &user).await?;
    audit(state, admin, "login_link_sent", user.id).await?;
    Ok(Ok("login_link"))
}

async fn audit(state: &AppState, admin: i64, action: &str, user: i64) -> Result<(), AppError> {
    let event = AuditEvent::by_user(admin, action, "user", Some(user));
    Ok(state.store.record_audit(&event).await?)
}

/// (key, French, English) of these pages.
pub static TEXTS: &[(&str, &str, &str)] = &[
    ("nav.accounts", "Comptes", "Accounts"),
    ("accounts.title", "Comptes", "Accounts"),
    ("accounts.intro", "Les comptes qui ouvrent lien : coordination, appelants, territoires et administration. Un compte désactivé ne peut plus se connecter et ses sessions sont fermées aussitôt.", "The accounts that open lien: coordination, callers, territories and administration. A deactivated account cannot log in any more and its sessions end at once."),
    ("accounts.filter.role", "Rôle", "Role"),
    ("accounts.filter.any", "Tous", "All"),
    ("accounts.filter.active", "État", "State"),
    ("accounts.filter.active_yes", "Actifs", "Active"),
    ("accounts.filter.active_no", "Désactivés", "Deactivated"),
    ("accounts.filter.search", "Adresse ou nom", "Email or name"),
    ("accounts.filter.apply", "Filtrer", "Filter"),
    ("accounts.col.email", "Adresse", "Email"),
    ("accounts.col.name", "Nom", "Name"),
    ("accounts.col.role", "Rôle", "Role"),
    ("accounts.col.scope", "Périmètre", "Scope"),
    ("accounts.col.active", "Actif", "Active"),
    ("accounts.col.second_factor", "Code à usage unique", "One-time code"),
    ("accounts.col.last_login", "Dernière connexion", "Last login"),
    ("accounts.yes", "oui", "yes"),
    ("accounts.no", "non", "no"),
    ("accounts.never", "jamais", "never"),
    ("accounts.invited", "invité(e)", "invited"),
    ("accounts.scope.territory", "Territoire", "Territory"),
    ("accounts.scope.caller", "Appelant(e)", "Caller"),
    ("accounts.scope.organisation", "Organisme", "Organisation"),
    ("accounts.scope.volunteer", "Volontaire", "Volunteer"),
    ("accounts.organisation", "Organisme (compte relais : la réserve associative, l’école)", "Organisation (relay account: the associations' reserve, the school)"),
    ("accounts.volunteer", "Adresse du volontaire dans le vivier (compte volontaire)", "The volunteer's email in the pool (volunteer account)"),
    ("accounts.refused.organisation_missing", "Un compte relais gère les volontaires d’un organisme : donnez le nom d’un organisme existant. Rien n’a été changé.", "A relay account manages the volunteers of an organisation: give the name of an existing organisation. Nothing was changed."),
    ("accounts.refused.volunteer_missing", "Un compte volontaire correspond à un volontaire du vivier : donnez son adresse telle qu’importée. Rien n’a été changé.", "A volunteer account is a volunteer of the pool: give their email as imported. Nothing was changed."),
    ("accounts.none", "Aucun compte ne correspond.", "No account matches."),
    ("accounts.open", "Gérer", "Manage"),
    ("accounts.back", "Tous les comptes", "All accounts"),
    ("accounts.invite.title", "Inviter un compte", "Invite an account"),
    ("accounts.invite.help", "Le compte est créé sans mot de passe : un courriel lui envoie un lien de connexion à usage unique, valable 7 jours. Un compte de territoire a besoin de son territoire ; un compte d’appelant(e) est relié à une personne de la liste des appelants (par son adresse, par défaut celle du compte).", "The account is created without a password: a mail sends it a one-time login link, valid 7 days. A territory account needs its territory; a caller account is linked to someone in the callers list (by their email, the account's by default)."),
    ("accounts.email", "Adresse électronique", "Email address"),
    ("accounts.language", "Langue des pages et des courriels", "Language of the pages and mails"),
    ("accounts.refused.language", "La langue d’un compte est le français (fr) ou l’anglais (en). Rien n’a été changé.", "An account's language is French (fr) or English (en). Nothing was changed."),
    ("accounts.name", "Nom affiché", "Display name"),
    ("accounts.role", "Rôle", "Role"),
    ("accounts.territory", "Territoire (compte de territoire)", "Territory (territory account)"),
    ("accounts.territory.none", "— aucun —", "— none —"),
    ("accounts.caller", "Adresse de l’appelant(e) dans la liste des appelants (compte d’appelant)", "The caller's email in the callers list (caller account)"),
    ("accounts.invite.submit", "Inviter : créer le compte et envoyer le courriel", "Invite: create the account and send the mail"),
    ("accounts.role.title", "Rôle et périmètre", "Role and scope"),
    ("accounts.role.help", "Le périmètre suit le rôle : un territoire pour un compte de territoire, un(e) appelant(e) pour un compte d’appelant ; il est effacé pour les autres rôles.", "The scope follows the role: a territory for a territory account, a caller for a caller account; it is cleared for the other roles."),
    ("accounts.role.submit", "Enregistrer le rôle et le périmètre", "Save the role and scope"),
    ("accounts.deactivate.title", "Désactiver le compte", "Deactivate the account"),
    ("accounts.deactivate.help", "Le compte ne peut plus se connecter et toutes ses sessions sont fermées tout de suite ; son historique est gardé. Vous pourrez le réactiver.", "The account cannot log in any more and all its sessions end right away; its history is kept. You can reactivate it later."),
    ("accounts.deactivate.confirm", "Je confirme la désactivation de ce compte", "I confirm deactivating this account"),
    ("accounts.deactivate.submit", "Désactiver ce compte et fermer ses sessions", "Deactivate this account and end its sessions"),
    ("accounts.reactivate.title", "Réactiver le compte", "Reactivate the account"),
    ("accounts.reactivate.submit", "Réactiver ce compte", "Reactivate this account"),
    ("accounts.totp.title", "Code à usage unique", "One-time code"),
    ("accounts.totp.help", "Téléphone perdu ou changé : le code actuel est supprimé, les sessions du compte sont fermées et un lien pour configurer un nouveau code lui est envoyé par courriel (valable 24 heures).", "Lost or changed phone: the current code is removed, the account's sessions end and a link to set up a new code is mailed to it (valid 24 hours)."),
    ("accounts.totp.confirm", "Je confirme la réinitialisation du code", "I confirm resetting the code"),
    ("accounts.totp.submit", "Réinitialiser le code et envoyer le lien", "Reset the code and send the link"),
    ("accounts.link.title", "Lien de connexion", "Login link"),
    ("accounts.link.help", "Envoie au compte un lien de connexion à usage unique, valable 20 minutes.", "Mails the account a one-time login link, valid 20 minutes."),
    ("accounts.link.submit", "Envoyer un lien de connexion", "Send a login link"),
    ("accounts.inactive", "Ce compte est désactivé.", "This account is deactivated."),
    ("accounts.self", "C’est votre compte : vous ne pouvez pas le désactiver.", "This is your account: you cannot deactivate it."),
    ("accounts.done.invited", "Compte créé : l’invitation part par courriel.", "Account created: the invitation is on its way by mail."),
    ("accounts.done.role", "Rôle et périmètre enregistrés.", "Role and scope saved."),
    ("accounts.done.deactivated", "Compte désactivé : ses sessions sont fermées.", "Account deactivated: its sessions have ended."),
    ("accounts.done.reactivated", "Compte réactivé : il peut se connecter de nouveau.", "Account reactivated: it can log in again."),
    ("accounts.done.second_factor", "Code supprimé : un lien pour en configurer un nouveau part par courriel.", "Code removed: a link to set up a new one is on its way by mail."),
    ("accounts.done.login_link", "Un lien de connexion part par courriel.", "A login link is on its way by mail."),
    ("accounts.refused.not_found", "Ce compte n’existe pas : revenez à la liste des comptes.", "This account does not exist: go back to the list of accounts."),
    ("accounts.refused.last_admin", "C’est le dernier compte d’administration actif : donnez d’abord le rôle d’administration à un autre compte, puis recommencez. Rien n’a été changé.", "This is the last active administrator account: give the administrator role to another account first, then try again. Nothing was changed."),
    ("accounts.refused.own_account", "Vous ne pouvez pas désactiver votre propre compte : demandez-le à un autre administrateur. Rien n’a été changé.", "You cannot deactivate your own account: ask another administrator. Nothing was changed."),
    ("accounts.refused.territory_missing", "Un compte de territoire a besoin de son territoire : choisissez-le dans la liste (importez d’abord la liste des territoires s’il n’y figure pas). Rien n’a été changé.", "A territory account needs its territory: choose it from the list (import the territories list first if it is missing). Nothing was changed."),
    ("accounts.refused.caller_missing", "Un compte d’appelant(e) doit être relié à une personne de la liste des appelants : indiquez son adresse telle qu’elle figure dans la liste (importez-la d’abord si besoin). Rien n’a été changé.", "A caller account must be linked to someone in the callers list: give their email as it is in the list (import it first if needed). Nothing was changed."),
    ("accounts.refused.caller_taken", "Cet(te) appelant(e) a déjà un compte : gérez ce compte-là plutôt que d’en créer un second. Rien n’a été changé.", "This caller already has an account: manage that account rather than creating a second one. Nothing was changed."),
    ("accounts.refused.email_taken", "Un compte existe déjà avec cette adresse : cherchez-le dans la liste et gérez-le (réactivez-le s’il est désactivé). Rien n’a été changé.", "An account with this email already exists: find it in the list and manage it (reactivate it if it is deactivated). Nothing was changed."),
    ("accounts.refused.bad_email", "L’adresse électronique n’est pas valable : corrigez-la (par exemple prenom.nom@exemple.fr). Rien n’a été changé.", "The email address is not valid: correct it (for example first.last@example.org). Nothing was changed."),
    ("accounts.refused.bad_role", "Choisissez un rôle dans la liste. Rien n’a été changé.", "Choose a role from the list. Nothing was changed."),
    ("accounts.refused.name", "Le nom affiché compte au plus 200 caractères : raccourcissez-le. Rien n’a été changé.", "The display name has at most 200 characters: shorten it. Nothing was changed."),
    ("accounts.refused.confirm", "Cochez la case de confirmation, puis recommencez. Rien n’a été changé.", "Tick the confirmation box, then try again. Nothing was changed."),
    ("accounts.refused.inactive", "Ce compte est désactivé : réactivez-le d’abord. Rien n’a été changé.", "This account is deactivated: reactivate it first. Nothing was changed."),
    ("accounts.refused.store", "L’enregistrement a échoué : réessayez. Rien n’a été changé.", "Saving failed: try again. Nothing was changed."),
];
