//! Call scripts: the file scripts compiled in from `call_scripts/` (a campaign names one
//! in `call_script`), their rendering from markdown to HTML with the person's first name
//! filled in, and the refusal of a name that is not one of them. A campaign's own
//! versions, edited in the browser, are stored (`Store::campaign_scripts`) and rendered
//! by the same [`render`].

use pulldown_cmark::{Event, Options, Parser};

/// The file scripts, by name (the file name in `call_scripts/` without `.md`).
static FILE_SCRIPTS: &[(&str, &str)] = &[
    (
        "hebdomadaire",
        include_str!("../../call_scripts/hebdomadaire.md"),
    ),
    ("canicule", include_str!("../../call_scripts/canicule.md")),
];

/// The placeholders replaced by the person's first name (HTML-escaped): `{prenom}`,
/// `{prénom}` and `{first_name}` all work.
pub const FIRST_NAME_PLACEHOLDERS: [&str; 3] = ["{prenom}", "{prénom}", "{first_name}"];

/// The longest script body accepted, in characters.
pub const MAX_SCRIPT_CHARS: usize = 50_000;

/// A script name that is none of the file scripts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no call script is named {name:?}: the known scripts are {}",
    known_list()
)]
pub struct UnknownScript {
    pub name: String,
}

impl UnknownScript {
    pub fn code(&self) -> &'static str {
        "unknown_script"
    }

    pub fn message_fr(&self) -> String {
        format!(
            "Aucun script d'appel ne s'appelle « {} » : les scripts connus sont {}.",
            self.name,
            known_list()
        )
    }
}

fn known_list() -> String {
    known_names().join(", ")
}

/// The names of the file scripts.
pub fn known_names() -> Vec<&'static str> {
    FILE_SCRIPTS.iter().map(|(name, _)| *name).collect()
}

/// The markdown of the file script `name`, if there is one.
pub fn file_script(name: &str) -> Option<&'static str> {
    FILE_SCRIPTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// `name`, if it names a file script.
pub fn check_name(name: &str) -> Result<&'static str, UnknownScript> {
    FILE_SCRIPTS
        .iter()
        .find(|(n, _)| *n == name.trim())
        .map(|(n, _)| *n)
        .ok_or_else(|| UnknownScript {
            name: name.trim().to_string(),
        })
}

/// The markdown as HTML, the first name filled in (escaped). HTML written in the markdown
/// is shown as text, never run: a script edited in the browser cannot inject a page.
pub fn render(markdown: &str, first_name: &str) -> String {
    let events = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    let escaped = askama::filters::escape(first_name, askama::filters::Html)
        .map(|e| e.to_string())
        .unwrap_or_default();
    FIRST_NAME_PLACEHOLDERS
        .iter()
        .fold(html, |html, placeholder| {
            html.replace(placeholder, &escaped)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_scripts_are_known() {
        assert_eq!(known_names(), vec!["hebdomadaire", "canicule"]);
        assert!(file_script("canicule").unwrap().contains("canicule"));
        assert_eq!(check_name(" hebdomadaire "), Ok("hebdomadaire"));
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let e = check_name("hebdo").unwrap_err();
        assert_eq!(e.code(), "unknown_script");
        assert!(e.message_fr().contains("« hebdo »"));
        assert!(e.message_fr().contains("hebdomadaire, canicule"));
        assert!(e
            .to_string()
            .contains("known scripts are hebdomadaire, canicule"));
        assert!(file_script("hebdo").is_none());
    }

    #[test]
    fn every_placeholder_takes_the_escaped_first_name() {
        let html = render("Bonjour {prenom}, {prénom} et {first_name}.", "Zoé <b>");
        assert_eq!(
            html,
            "<p>Bonjour Zoé &#60;b&#62;, Zoé &#60;b&#62; et Zoé &#60;b&#62;.</p>\n"
        );
    }

    #[test]
    fn html_in_the_markdown_is_shown_as_text() {
        let html = render("<script>alert(1)</script>\n\nun <b>mot</b>", "Paul");
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }
}
