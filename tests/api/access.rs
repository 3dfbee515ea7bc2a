//! Every route, walked with every role: who may see what.

use lien::domain::{IsoWeek, Role};

use crate::helpers::{planned_demo_app, query_all, Backend, TestApp, TEST_PASSWORD};
use crate::on_both_backends;

on_both_backends!(every_route_with_every_role);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Caller,
    Territory,
    Coordinator,
    Admin,
    // Issue 17: an organisation's relay and a volunteer of the pool.
    Relay,
    Volunteer,
}

async fn app_as(backend: Backend, who: Who) -> (TestApp, i64, i64) {
    let (app, email) = planned_demo_app(backend).await;
    let week = IsoWeek::current().to_string();
    let (own,): (i64,) = query_all(
        &app.store,
        &format!("SELECT MIN(id) FROM assignments WHERE caller_id = 1 AND week = '{week}'"),
    )
    .await
    .remove(0);
    let (other,): (i64,) = query_all(
        &app.store,
        &format!("SELECT MIN(id) FROM assignments WHERE caller_id <> 1 AND week = '{week}'"),
    )
    .await
    .remove(0);
    match who {
        Who::Anonymous => {}
        Who::Caller => {
            assert_eq!(app.login(&email, TEST_PASSWORD).await.status(), 303);
        }
        Who::Territory => {
            app.login_as(Role::Territory).await;
        }
        Who::Coordinator => {
            app.login_as(Role::Coordinator).await;
        }
        Who::Admin => {
            app.login_as(Role::Admin).await;
        }
        Who::Relay => {
            app.login_as(Role::Relay).await;
        }
        Who::Volunteer => {
            app.login_as(Role::Volunteer).await;
        }
    }
    (app, own, other)
}

async fn every_route_with_every_role(backend: Backend) {
    use Who::*;
    for who in [
        Anonymous,
        Caller,
        Territory,
        Coordinator,
        Admin,
        Relay,
        Volunteer,
    ] {
        let (app, own, other) = app_as(backend, who).await;
        let coordinator = matches!(who, Coordinator | Admin);
        let login = 303;
        // (method, path, expected status)
        let routes: Vec<(&str, String, u16)> = vec![
            ("GET", "/".into(), 200),
            ("GET", "/health".into(), 200),
            ("GET", "/login".into(), 200),
            ("GET", "/static/lien.css".into(), 200),
            (
                "GET",
                "/appels".into(),
                match who {
                    Anonymous => login,
                    Caller => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                format!("/appels/{own}"),
                match who {
                    Anonymous => login,
                    Caller => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                format!("/appels/{other}"),
                match who {
                    Anonymous => login,
                    Caller => 404,
                    _ => 403,
                },
            ),
            // Posts without the form's CSRF token never change anything.
            (
                "POST",
                format!("/appels/{own}"),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                format!("/appels/{other}"),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/planning".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/planning".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/imports".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/imports/confirm".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/imports/cancel".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/imports/999999".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 404,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/imports/999999/rejected.csv".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 404,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/week".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/week/totals.csv".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/week/not-reached.csv".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/trends".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/time".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                format!("/api/campaigns/default/weeks/{}/totals", IsoWeek::current()),
                match who {
                    Anonymous => 401,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/api/campaigns/nowhere/weeks/2026-W48/totals".into(),
                match who {
                    Anonymous => 401,
                    _ if coordinator => 404,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/logout".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/logout/all".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/signalements".into(),
                match who {
                    Anonymous => login,
                    Caller | Relay | Volunteer => 403,
                    _ => 200,
                },
            ),
            (
                "GET",
                "/signalements?tous=1".into(),
                match who {
                    Anonymous => login,
                    Caller | Relay | Volunteer => 403,
                    _ => 200,
                },
            ),
            (
                "GET",
                "/signalements/999999".into(),
                match who {
                    Anonymous => login,
                    Caller | Relay | Volunteer => 403,
                    _ => 404,
                },
            ),
            (
                "POST",
                "/signalements/999999".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/signalements/recapitulatif".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            // A signed link is its own authority: a bad one opens nothing, for anyone.
            ("GET", "/signalements/lien/1.1.00".into(), 410),
            ("POST", "/signalements/lien/1.1.00".into(), 410),
            (
                "GET",
                "/coordination/envois".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/envois/retry".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/envois/999999/retry".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/campaigns".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/campaigns/default".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/campaigns/nope".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 404,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/campaigns/default".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            // Issue 13, people: the register of vulnerable people is for coordinators
            // and admins only (never territories); the search is posted.
            (
                "GET",
                "/coordination/personnes".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/personnes".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/personnes/1".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/personnes/99999999".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 404,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/personnes/1".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            // Issue 14, the person's rights from their page: the access letter and data
            // for coordinators and admins, erasure for admins (forged CSRF: 403).
            (
                "GET",
                "/coordination/personnes/1/export?format=json".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/personnes/1/effacer".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            // Accounts: admins only (issue 13).
            (
                "GET",
                "/admin/comptes".into(),
                match who {
                    Anonymous => login,
                    Admin => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/admin/comptes?role=caller&active=yes&q=x".into(),
                match who {
                    Anonymous => login,
                    Admin => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/admin/comptes/999999".into(),
                match who {
                    Anonymous => login,
                    Admin => 404,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/admin/comptes".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/admin/comptes/999999/role".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/admin/comptes/999999/deactivate".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/admin/comptes/999999/reactivate".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/admin/comptes/999999/second-factor".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/admin/comptes/999999/login-link".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            // The roster of callers (src/web/callers.rs).
            (
                "GET",
                "/coordination/callers".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/callers".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/callers/1".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/callers/999999".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 404,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/callers/1".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/callers/1/absences".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/callers/1/rebalance".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/callers/1/active".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            // The caller's own page (src/web/me.rs), callers only; forged CSRF: 403.
            (
                "GET",
                "/moi".into(),
                match who {
                    Anonymous => login,
                    Caller => 200,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/moi/absences".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/moi/disponibilites".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/moi/courriel".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            // Campaigns created, archived, and their call scripts (issue 13).
            (
                "POST",
                "/coordination/campaigns".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/campaigns/default/archive".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/campaigns/default/script".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/campaigns/nope/script".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 404,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/campaigns/default/script".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            // Issue 17, volunteer missions: coordinators and admins; the hours form for
            // volunteers (the demo caller is none) and coordinators.
            (
                "GET",
                format!("/coordination/missions?week={}", IsoWeek::current()),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/missions/temps".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/coordination/missions/temps.csv".into(),
                match who {
                    Anonymous => login,
                    _ if coordinator => 200,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/missions/heures".into(),
                match who {
                    Anonymous => login,
                    // A coordinator names the volunteer (`?volunteer=ID`).
                    _ if coordinator => 404,
                    Volunteer => 200,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/missions/heures".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/missions/match".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/missions/confirm".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/coordination/missions/placements/1/state".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            // Issue 17: relays' own volunteers, the volunteer's page, the organisations'
            // signed link (a dead token is a 410 page for everyone).
            (
                "GET",
                "/relais/volontaires".into(),
                match who {
                    Anonymous => login,
                    Relay => 200,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/relais/volontaires".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/relais/volontaires/1".into(),
                match who {
                    Anonymous => login,
                    // Not one of this relay's volunteers.
                    Relay => 404,
                    _ => 403,
                },
            ),
            (
                "POST",
                "/relais/volontaires/1".into(),
                match who {
                    Anonymous => login,
                    _ => 403,
                },
            ),
            (
                "GET",
                "/benevole".into(),
                match who {
                    Anonymous => login,
                    Volunteer => 200,
                    _ => 403,
                },
            ),
            ("GET", "/structures/lien/not-a-token".into(), 410),
            ("POST", "/structures/lien/not-a-token/confirmer".into(), 410),
            ("POST", "/structures/lien/not-a-token/besoins/1".into(), 410),
            // Without a password-checked login waiting, the code step sends to the login;
            // the test form has no code field: refused as malformed.
            ("GET", "/login/code".into(), 303),
            ("POST", "/login/code".into(), 400),
            // The test form has no email field: refused as malformed.
            ("POST", "/login/link".into(), 400),
            ("GET", "/login/link/not-a-link".into(), 410),
        ];
        let mut wrong = Vec::new();
        for (method, path, expected) in routes {
            let url = format!("{}{}", app.address, path);
            let request = match method {
                "GET" => app.client.get(&url),
                _ => app.client.post(&url).form(&[
                    ("csrf", "forged"),
                    ("campaign", "default"),
                    ("week", "2026-W48"),
                    ("token", "x"),
                    ("outcome", "reached_ok"),
                    ("idempotency_key", "forged-key-1"),
                ]),
            };
            let status = request.send().await.unwrap().status().as_u16();
            if status != expected {
                wrong.push(format!(
                    "{who:?} {method} {path}: {status}, expected {expected}"
                ));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        let calls: Vec<(i64,)> = query_all(&app.store, "SELECT COUNT(*) FROM calls").await;
        assert_eq!(calls[0].0, 0, "{who:?}: nothing was recorded");
    }
}
