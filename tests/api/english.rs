//! English is complete: every page, rendered in English, shows no French text of the
//! catalogue (a label looked up in the wrong language, or a French literal left in a
//! handler that also sits in the catalogue), and none of the French words a hard-coded
//! sentence would carry.

use lien::domain::{IsoWeek, Role};

use crate::helpers::{
    caller_and_first_assignment, planned_demo_app, query_all, Backend, TestApp, TEST_PASSWORD,
};
use crate::on_both_backends;

on_both_backends!(
    every_page_in_english_has_no_french_label,
    a_refused_call_form_says_what_to_do_in_english,
);

/// French texts of the catalogue long enough to be a label, and not also English nor
/// the title of a campaign (data, which a coordinator writes in one language).
fn french_labels(titles: &[String]) -> Vec<&'static str> {
    let all: Vec<_> = lien::web::i18n::all_texts().collect();
    all.iter()
        .map(|(_, fr, _)| *fr)
        .filter(|fr| fr.chars().count() >= 12 && !fr.contains('{'))
        .filter(|fr| !all.iter().any(|(_, _, en)| en.contains(fr)))
        .filter(|fr| !titles.iter().any(|t| t.contains(fr)))
        .collect()
}

/// Words of French sentences that no English label carries, nor a name, commune or
/// street of the demo (hence no " des " or " les ": "allée des Tilleuls").
const FRENCH_WORDS: &[&str] = &[
    " pour ",
    " avec ",
    " cette ",
    " aucun",
    "Aucun",
    " semaine",
    "Semaine",
    " appel ",
    "Enregistrer",
    "Rien n",
    " été ",
    "Personnes",
    "Appelants",
];

/// Content a coordinator wrote, not labels: the call script (on the call page and its
/// editing page), whatever its language.
const CONTENT: &[(&str, &str)] = &[
    ("<div class=\"script\">", "</div>"),
    ("<article class=\"script", "</article>"),
    ("<textarea", "</textarea>"),
];

/// `html` without the elements of `CONTENT`.
fn without_content(html: &str) -> String {
    let mut out = html.to_string();
    for (open, close) in CONTENT {
        while let Some(start) = out.find(open) {
            let end = out[start..]
                .find(close)
                .map_or(out.len(), |e| start + e + close.len());
            out.replace_range(start..end, " ");
        }
    }
    out
}

/// The visible text of a page: tags, scripts and styles out, entities of quotes in.
fn visible_text(html: &str) -> String {
    let html = without_content(html);
    let mut shown = String::new();
    let mut rest = html.as_str();
    while let Some(start) = ["<style", "<script"]
        .iter()
        .filter_map(|t| rest.find(t))
        .min()
    {
        shown.push_str(&rest[..start]);
        let end = rest[start..]
            .find("</s")
            .map_or(rest.len(), |e| start + e + 3);
        rest = &rest[end..];
    }
    shown.push_str(rest);
    let mut text = String::new();
    let mut in_tag = false;
    for c in shown.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

async fn check(app: &TestApp, path: &str, labels: &[&str], faults: &mut Vec<String>) {
    check_status(app, path, 200, labels, faults).await;
}

/// [`check`] for a page answered with `status` (an error page).
async fn check_status(
    app: &TestApp,
    path: &str,
    status: u16,
    labels: &[&str],
    faults: &mut Vec<String>,
) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let response = app.get(&format!("{path}{sep}lang=en")).await;
    assert_eq!(response.status().as_u16(), status, "{path}");
    let text = visible_text(&response.text().await.unwrap());
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for fr in labels {
        if text.contains(fr) {
            faults.push(format!("{path}: catalogue French {fr:?}"));
        }
    }
    for word in FRENCH_WORDS {
        if let Some(at) = text.find(word) {
            let start = text[..at]
                .char_indices()
                .rev()
                .nth(40)
                .map_or(0, |(i, _)| i);
            let end = (at + 60).min(text.len());
            let end = (end..=text.len())
                .find(|&i| text.is_char_boundary(i))
                .unwrap();
            faults.push(format!(
                "{path}: French word {word:?} in …{}…",
                &text[start..end]
            ));
        }
    }
}

async fn every_page_in_english_has_no_french_label(backend: Backend) {
    let (app, caller_email) = planned_demo_app(backend).await;
    let titles: Vec<String> = query_all::<(String,)>(&app.store, "SELECT title FROM campaigns")
        .await
        .into_iter()
        .map(|(t,)| t)
        .collect();
    let labels = french_labels(&titles);
    let week = IsoWeek::current().to_string();
    let (assignment, person): (i64, i64) = query_all(
        &app.store,
        &format!("SELECT MIN(id), MIN(beneficiary_id) FROM assignments WHERE caller_id = 1 AND week = '{week}'"),
    )
    .await
    .remove(0);
    let mut faults = Vec::new();

    assert_eq!(app.login(&caller_email, TEST_PASSWORD).await.status(), 303);
    for path in [
        "/appels".to_string(),
        format!("/appels/{assignment}"),
        "/moi".into(),
    ] {
        check(&app, &path, &labels, &mut faults).await;
    }
    // Error pages: a coordinator's page refused to a caller, an unknown address.
    check_status(&app, "/coordination/week", 403, &labels, &mut faults).await;
    check_status(&app, "/nulle-part", 404, &labels, &mut faults).await;
    app.logout().await;

    app.login_as(Role::Admin).await;
    for path in [
        "/".to_string(),
        "/coordination/week".into(),
        "/coordination/trends".into(),
        "/coordination/time".into(),
        "/coordination/missions".into(),
        "/coordination/missions/temps".into(),
        "/coordination/planning".into(),
        "/coordination/imports".into(),
        "/coordination/campaigns".into(),
        "/coordination/campaigns/default".into(),
        "/coordination/campaigns/default/script".into(),
        "/coordination/callers".into(),
        "/coordination/callers/1".into(),
        "/coordination/personnes".into(),
        format!("/coordination/personnes/{person}"),
        "/coordination/envois".into(),
        "/signalements".into(),
        "/admin/comptes".into(),
        "/admin/journal".into(),
    ] {
        check(&app, &path, &labels, &mut faults).await;
    }
    assert!(
        faults.is_empty(),
        "{} French texts on English pages:\n{}",
        faults.len(),
        faults.join("\n")
    );
}

/// The call form sent back with what to fix, in the caller's language.
async fn a_refused_call_form_says_what_to_do_in_english(backend: Backend) {
    let (app, assignment) = caller_and_first_assignment(backend).await;
    let path = format!("/appels/{assignment}");
    for (fields, expected) in [
        (vec![], "Choose the outcome of the call."),
        (
            vec![
                ("outcome", "reached_need"),
                ("need_food", "1"),
                ("need_food_urgency", "today"),
            ],
            "Describe each ticked need in a few words.",
        ),
    ] {
        let page = app
            .get(&format!("{path}?lang=en"))
            .await
            .text()
            .await
            .unwrap();
        let csrf = crate::helpers::form_value(&page, "csrf");
        let key = crate::helpers::form_value(&page, "idempotency_key");
        let mut form = vec![("csrf", csrf.as_str()), ("idempotency_key", key.as_str())];
        form.extend(fields);
        let refused = app
            .client
            .post(format!("{}{path}", app.address))
            .form(&form)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(refused.contains(expected), "{expected}: {refused}");
        assert!(!refused.contains("Choisissez") && !refused.contains("Décrivez"));
    }
    let calls: Vec<(i64,)> = query_all(&app.store, "SELECT COUNT(*) FROM calls").await;
    assert_eq!(calls[0].0, 0, "nothing was recorded");
}
