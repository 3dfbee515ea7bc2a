//! The mails about an account: the invitation (by an administrator, or of a caller by
//! the callers file), the one-time login link and the link that sets up the second
//! factor. Plain text, in the account's language; each names no one and says only what
//! lien is and what the link does. Pure: the caller makes the links and queues the mail.

use super::language::Language;
use crate::domain::Role;

/// A mail's subject and plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountMail {
    pub subject: String,
    pub body: String,
}

/// What the account is for, by role.
fn role_purpose(role: Role, lang: Language) -> &'static str {
    match (role, lang) {
        (Role::Caller, Language::Fr) => {
            "appelant(e) : chaque semaine, les personnes à appeler et le guide d'appel"
        }
        (Role::Caller, Language::En) => "caller: each week, the people to call and the call guide",
        (Role::Coordinator, Language::Fr) => "coordination des appels de solidarité",
        (Role::Coordinator, Language::En) => "coordination of the solidarity calls",
        (Role::Territory, Language::Fr) => {
            "territoire : les besoins signalés pour votre territoire"
        }
        (Role::Territory, Language::En) => "territory: the needs reported for your territory",
        (Role::Admin, Language::Fr) => "administration des comptes de lien",
        (Role::Admin, Language::En) => "administration of lien's accounts",
        (Role::Relay, Language::Fr) => "relais : les volontaires de votre structure",
        (Role::Relay, Language::En) => "relay: your organisation's volunteers",
        (Role::Volunteer, Language::Fr) => "volontaire : vos missions",
        (Role::Volunteer, Language::En) => "volunteer: your missions",
    }
}

/// The invitation of an account opened by an administrator; `days` is how long its
/// one-time `link` works, `login` the login page.
pub fn account_invitation(
    role: Role,
    lang: Language,
    link: &url::Url,
    login: &url::Url,
    days: i64,
) -> AccountMail {
    let what = role_purpose(role, lang);
    let second_factor = !matches!(role, Role::Caller | Role::Relay | Role::Volunteer);
    match lang {
        Language::Fr => {
            let second_factor = if second_factor {
                "\nVotre compte est protégé par un code à usage unique : à la première connexion, \
                 un second message vous donne un lien pour le configurer.\n"
            } else {
                ""
            };
            AccountMail {
                subject: "[lien] Votre compte lien".into(),
                body: format!(
                    "Bonjour,\n\n\
                     Un compte a été ouvert pour vous dans lien ({what}).\n\n\
                     Pour vous connecter la première fois, ouvrez ce lien (il fonctionne une seule \
                     fois, pendant {days} jours) :\n\n{link}\n{second_factor}\n\
                     Ensuite, allez sur {login} et demandez « Recevoir un lien de connexion » avec \
                     cette adresse.\n\n\
                     Si vous n'êtes pas concerné(e), ignorez ce message.\n"
                ),
            }
        }
        Language::En => {
            let second_factor = if second_factor {
                "\nYour account is protected by a one-time code: at your first login, a second \
                 message gives you a link to set it up.\n"
            } else {
                ""
            };
            AccountMail {
                subject: "[lien] Your lien account".into(),
                body: format!(
                    "Hello,\n\n\
                     An account was opened for you in lien ({what}).\n\n\
                     To log in the first time, open this link (it works once, for {days} days):\
                     \n\n{link}\n{second_factor}\n\
                     Afterwards, go to {login} and choose \"Send me a login link\" with this \
                     address.\n\n\
                     If this is not for you, ignore this message.\n"
                ),
            }
        }
    }
}

/// The invitation of a caller whose account the callers file opened.
pub fn caller_invitation(
    first_name: &str,
    lang: Language,
    link: &str,
    login: &str,
    days: i64,
) -> AccountMail {
    let first_name = first_name.trim();
    match lang {
        Language::Fr => AccountMail {
            subject: "[lien] Votre compte d'appelant(e) bénévole".into(),
            body: format!(
                "{hello}\n\n\
                 Merci de participer aux appels de solidarité. Votre compte d'appelant(e) est prêt \
                 dans lien, l'outil qui vous présente chaque semaine les personnes à appeler, le \
                 guide d'appel et le formulaire pour noter chaque appel.\n\n\
                 Pour vous connecter la première fois, ouvrez ce lien (il fonctionne une seule fois, \
                 pendant {days} jours) :\n\n{link}\n\n\
                 Ensuite, allez sur {login} et demandez « Recevoir un lien de connexion » avec cette \
                 adresse : un nouveau lien vous est envoyé à chaque fois, sans mot de passe à retenir.\n\n\
                 Si vous n'êtes pas concerné(e), ignorez ce message.\n",
                hello = if first_name.is_empty() {
                    "Bonjour,".to_string()
                } else {
                    format!("Bonjour {first_name},")
                },
            ),
        },
        Language::En => AccountMail {
            subject: "[lien] Your volunteer caller account".into(),
            body: format!(
                "{hello}\n\n\
                 Thank you for taking part in the solidarity calls. Your caller account is ready \
                 in lien, the tool that shows you each week the people to call, the call guide \
                 and the form to note each call.\n\n\
                 To log in the first time, open this link (it works once, for {days} days):\
                 \n\n{link}\n\n\
                 Afterwards, go to {login} and choose \"Send me a login link\" with this address: \
                 a new link is sent to you each time, with no password to remember.\n\n\
                 If this is not for you, ignore this message.\n",
                hello = if first_name.is_empty() {
                    "Hello,".to_string()
                } else {
                    format!("Hello {first_name},")
                },
            ),
        },
    }
}

/// The one-time login link asked for on the login page.
pub fn login_link(lang: Language, link: &url::Url, minutes: i64) -> AccountMail {
    match lang {
        Language::Fr => AccountMail {
            subject: "[lien] Votre lien de connexion".into(),
            body: format!(
                "Bonjour,\n\nVoici votre lien pour vous connecter à lien. Il fonctionne une seule \
                 fois, pendant {minutes} minutes :\n\n{link}\n\nSi vous n'avez rien demandé, ignorez \
                 ce message : personne ne peut se connecter sans ce lien.\n"
            ),
        },
        Language::En => AccountMail {
            subject: "[lien] Your login link".into(),
            body: format!(
                "Hello,\n\nHere is your link to log in to lien. It works once, for {minutes} \
                 minutes:\n\n{link}\n\nIf you did not ask for it, ignore this message: nobody \
                 can log in without this link.\n"
            ),
        },
    }
}

/// The link that sets up the second factor, sent at the first login of an account that
/// needs one.
pub fn enrolment_link(lang: Language, link: &url::Url, hours: i64) -> AccountMail {
    match lang {
        Language::Fr => AccountMail {
            subject: "[lien] Configurez votre code à usage unique".into(),
            body: format!(
                "Bonjour,\n\nVotre compte lien doit être protégé par un code à usage unique. \
                 Ce lien permet de le configurer avec une application d'authentification ; il \
                 fonctionne une seule fois, pendant {hours} heures :\n\n{link}\n\nSi vous ne venez \
                 pas de vous connecter, votre mot de passe est peut-être connu d'un tiers : \
                 prévenez un administrateur et n'utilisez pas ce lien.\n"
            ),
        },
        Language::En => AccountMail {
            subject: "[lien] Set up your one-time code".into(),
            body: format!(
                "Hello,\n\nYour lien account must be protected by a one-time code. This link \
                 sets it up with an authenticator app; it works once, for {hours} hours:\
                 \n\n{link}\n\nIf you have not just logged in, your password may be known to \
                 someone else: tell an administrator and do not use this link.\n"
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Coded;

    /// French words that must not show in an English mail.
    const FRENCH: [&str; 8] = [
        "Bonjour",
        "compte",
        "lien de connexion",
        "Merci",
        "appel",
        "vous",
        "à ",
        "ignorez",
    ];

    fn url(path: &str) -> url::Url {
        format!("https://lien.example.org/{path}").parse().unwrap()
    }

    fn every_english_mail() -> Vec<AccountMail> {
        let mut mails: Vec<AccountMail> = Role::all()
            .iter()
            .map(|r| account_invitation(*r, Language::En, &url("login/link/t"), &url("login"), 7))
            .collect();
        mails.push(caller_invitation(
            "Zoé",
            Language::En,
            "https://x/l",
            "https://x/login",
            7,
        ));
        mails.push(login_link(Language::En, &url("login/link/t"), 30));
        mails.push(enrolment_link(Language::En, &url("enrol/t"), 24));
        mails
    }

    #[test]
    fn english_mails_say_nothing_in_french() {
        for mail in every_english_mail() {
            for french in FRENCH {
                assert!(
                    !mail.subject.contains(french) && !mail.body.contains(french),
                    "{french} in {mail:?}"
                );
            }
            assert!(mail.body.starts_with("Hello"), "{mail:?}");
        }
    }

    #[test]
    fn each_mail_carries_its_link_and_its_lifetime() {
        let fr = login_link(Language::Fr, &url("login/link/abc"), 30);
        assert!(fr.body.contains("https://lien.example.org/login/link/abc"));
        assert!(fr.body.contains("30 minutes") && fr.subject.contains("connexion"));
        let en = enrolment_link(Language::En, &url("enrol/abc"), 24);
        assert!(
            en.body.contains("https://lien.example.org/enrol/abc") && en.body.contains("24 hours")
        );
        let admin = account_invitation(Role::Admin, Language::Fr, &url("l"), &url("login"), 7);
        assert!(admin.body.contains("code à usage unique") && admin.body.contains("7 jours"));
        let caller = account_invitation(Role::Caller, Language::En, &url("l"), &url("login"), 7);
        assert!(
            !caller.body.contains("one-time code"),
            "callers have no second factor"
        );
        let named = caller_invitation(" Zoé ", Language::Fr, "l", "login", 7);
        assert!(named.body.starts_with("Bonjour Zoé,"));
        let unnamed = caller_invitation("", Language::En, "l", "login", 7);
        assert!(unnamed.body.starts_with("Hello,\n"));
    }
}
