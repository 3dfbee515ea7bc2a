//! The readable page that answers a right-of-access request: everything lien holds on
//! one person (`records::person::PersonExport`), in French, to print or attach to a
//! letter (`lien people export REF --html FILE`).

use askama::Template;

use crate::records::person::PersonExport;

#[derive(Template)]
#[template(path = "person_export.html")]
struct AccessLetter<'a> {
    p: &'a PersonExport,
}

/// The HTML page of a person's export.
pub fn render_access_letter(export: &PersonExport) -> Result<String, askama::Error> {
    AccessLetter { p: export }.render()
}
