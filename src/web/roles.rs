//! Who may call a handler, said by its signature: each extractor here loads the
//! session's user and refuses any other role (the login page, or 401 JSON under `/api`,
//! without a session; 403 for a wrong role), then gives the handler the user and what
//! its role brings (a caller's id, a territory's id, a relay's organisation, a
//! volunteer's id).

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, FromRequest, HttpRequest};

use super::errors::AppError;
use super::session::CurrentUser;
use crate::domain::Role;

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

/// The signed-in user, refused (403) unless their role is one of `roles`.
fn user_with_role(req: &HttpRequest, roles: &'static [Role]) -> Extracted<CurrentUser> {
    let user = CurrentUser::extract(req);
    Box::pin(async move {
        let user = user.await?;
        if roles.contains(&user.role()) {
            Ok(user)
        } else {
            Err(AppError::Forbidden)
        }
    })
}

/// A coordinator (only).
pub struct Coordinator(pub CurrentUser);

impl FromRequest for Coordinator {
    type Error = AppError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = user_with_role(req, &[Role::Coordinator]);
        Box::pin(async move { Ok(Coordinator(user.await?)) })
    }
}

/// An administrator (only).
pub struct Admin(pub CurrentUser);

impl FromRequest for Admin {
    type Error = AppError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = user_with_role(req, &[Role::Admin]);
        Box::pin(async move { Ok(Admin(user.await?)) })
    }
}

/// A coordinator or an administrator: every `/coordination` page.
pub struct CoordinatorOrAdmin(pub CurrentUser);

impl FromRequest for CoordinatorOrAdmin {
    type Error = AppError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = user_with_role(req, &[Role::Coordinator, Role::Admin]);
        Box::pin(async move { Ok(CoordinatorOrAdmin(user.await?)) })
    }
}

/// A caller, with the callers' record their account belongs to.
pub struct Caller {
    pub user: CurrentUser,
    pub caller_id: i64,
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = user_with_role(req, &[Role::Caller]);
        Box::pin(async move {
            let user = user.await?;
            // The schema gives every caller account its caller.
            let caller_id = user.user.caller_id.ok_or(AppError::Forbidden)?;
            Ok(Caller { user, caller_id })
        })
    }
}

/// A territory account, with its territory.
pub struct Territory {
    pub user: CurrentUser,
    pub territory_id: i64,
}

impl FromRequest for Territory {
    type Error = AppError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = user_with_role(req, &[Role::Territory]);
        Box::pin(async move {
            let user = user.await?;
            let territory_id = user.user.territory_id.ok_or(AppError::Forbidden)?;
            Ok(Territory { user, territory_id })
        })
    }
}

/// Who may read escalations: a territory account (its own territory's) or a coordinator
/// or administrator (every territory's).
pub struct TerritoryOrStaff {
    pub user: CurrentUser,
    /// The territory the user is limited to; `None` for coordinators and admins.
    pub territory_id: Option<i64>,
}

impl FromRequest for TerritoryOrStaff {
    type Error = AppError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let roles = &[Role::Territory, Role::Coordinator, Role::Admin];
        let user = user_with_role(req, roles);
        Box::pin(async move {
            let user = user.await?;
            let territory_id = match user.role() {
                Role::Territory => Some(user.user.territory_id.ok_or(AppError::Forbidden)?),
                _ => None,
            };
            Ok(TerritoryOrStaff { user, territory_id })
        })
    }
}

/// A relay account (an associations' reserve, a school), with the organisation whose
/// volunteers it manages (and only those).
pub struct Relay {
    pub user: CurrentUser,
    pub organisation_id: i64,
}

impl FromRequest for Relay {
    type Error = AppError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = user_with_role(req, &[Role::Relay]);
        Box::pin(async move {
            let user = user.await?;
            let organisation_id = user.user.organisation_id.ok_or(AppError::Forbidden)?;
            Ok(Relay {
                user,
                organisation_id,
            })
        })
    }
}

/// A volunteer account, with the volunteer of the pool it is.
pub struct VolunteerAccount {
    pub user: CurrentUser,
    pub volunteer_id: i64,
}

impl FromRequest for VolunteerAccount {
    type Error = AppError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = user_with_role(req, &[Role::Volunteer]);
        Box::pin(async move {
            let user = user.await?;
            let volunteer_id = user.user.volunteer_id.ok_or(AppError::Forbidden)?;
            Ok(VolunteerAccount { user, volunteer_id })
        })
    }
}
