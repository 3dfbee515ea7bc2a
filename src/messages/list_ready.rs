//! The weekly mail "your list for week W is ready: N people", sent to a caller who opted
//! in on their own page when a week's plan is recorded. It names no one: the list itself
//! is behind the login. In the language of the caller's account (French by default).

use crate::domain::IsoWeek;

/// Subject and plain-text body, in English when `english`, else in French.
pub fn render_list_ready(week: IsoWeek, people: i64, english: bool) -> (String, String) {
    if english {
        (
            format!("lien: your list for week {week} is ready"),
            format!(
                "Hello,\n\nYour list for week {week} is ready: {people} {} to call.\n\
                 To stop this mail: \"My page\" in lien.\n",
                if people == 1 { "person" } else { "people" }
            ),
        )
    } else {
        (
            format!("lien : votre liste de la semaine {week} est prête"),
            format!(
                "Bonjour,\n\nVotre liste de la semaine {week} est prête : {people} {} à appeler.\n\
                 Pour ne plus recevoir ce message : « Ma page » dans lien.\n",
                if people <= 1 { "personne" } else { "personnes" }
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_language_per_mail_and_no_name() {
        let week: IsoWeek = "2026-W49".parse().unwrap();
        let (subject, body) = render_list_ready(week, 12, false);
        assert!(subject.contains("2026-W49") && body.contains("12 personnes"));
        assert!(!body.contains("Hello"));
        let (subject, body) = render_list_ready(week, 1, true);
        assert!(subject.starts_with("lien: your list"));
        assert!(body.contains("1 person to call") && !body.contains("Bonjour"));
    }
}
