//! Languages of the pages: French by default, English on request.
//!
//! The language comes from `?lang=`, then the `lien_lang` cookie, then the browser's
//! `Accept-Language`; French wins when nothing says otherwise. Texts live in one
//! catalogue, looked up by key from the templates (`{{ tr.t("home.title") }}`).

use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, FromRequest, HttpRequest};

pub const LANG_COOKIE: &str = "lien_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        let code = code.trim().to_ascii_lowercase();
        let primary = code.split(['-', '_']).next().unwrap_or("");
        match primary {
            "fr" => Some(Self::Fr),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The first of French or English named in an `Accept-Language` header, by weight.
    fn from_accept_language(value: &str) -> Option<Self> {
        let mut best: Option<(f32, Self)> = None;
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let Some(lang) = pieces.next().and_then(Self::parse) else {
                continue;
            };
            let weight = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, l)| l)
    }

    pub fn from_request(req: &HttpRequest) -> Self {
        let from_query = req
            .query_string()
            .split('&')
            .find_map(|pair| pair.strip_prefix("lang=").and_then(Self::parse));
        from_query
            .or_else(|| req.cookie(LANG_COOKIE).and_then(|c| Self::parse(c.value())))
            .or_else(|| {
                req.headers()
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Self::from_accept_language)
            })
            .unwrap_or_default()
    }

    /// Whether the request asked for this language explicitly (`?lang=`), so that the
    /// choice is remembered in a cookie.
    pub fn chosen_in_query(req: &HttpRequest) -> Option<Self> {
        req.query_string()
            .split('&')
            .find_map(|pair| pair.strip_prefix("lang=").and_then(Self::parse))
    }

    pub fn tr(self) -> Tr {
        Tr { lang: self }
    }
}

/// A mail to the person of this page: in the page's language.
impl From<Lang> for crate::messages::Language {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::Fr => Self::Fr,
            Lang::En => Self::En,
        }
    }
}

impl FromRequest for Lang {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Lang::from_request(req)))
    }
}

/// The translator handed to templates.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    /// The text for `key` in this language. An unknown key shows itself, and a unit test
    /// checks that every key the templates use is in the catalogue.
    pub fn t(&self, key: &str) -> &'static str {
        match all_texts().find(|(k, _, _)| *k == key) {
            Some((_, fr, en)) => match self.lang {
                Lang::Fr => fr,
                Lang::En => en,
            },
            None => {
                tracing::warn!(key, "missing translation");
                "???"
            }
        }
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// The other language, for the switch in the page header.
    pub fn other(&self) -> Lang {
        match self.lang {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }
}

/// Every text: the main catalogue, then those kept beside their pages.
pub fn all_texts() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    CATALOGUE
        .iter()
        .chain(super::escalations::TEXTS.iter())
        .chain(super::person_rights::TEXTS.iter())
        .chain(super::people::TEXTS.iter())
        .chain(super::accounts::TEXTS.iter())
        .chain(super::callers::TEXTS.iter())
        .chain(super::campaign_scripts::TEXTS.iter())
        .chain(super::me::TEXTS.iter())
        .chain(super::planning::TEXTS.iter())
        .chain(super::methods::TEXTS.iter())
        .chain(super::missions::TEXTS.iter())
        .chain(super::mission_time::TEXTS.iter())
        .chain(super::organisation_link::TEXTS.iter())
        .chain(super::relay::TEXTS.iter())
}

/// (key, French, English).
pub static CATALOGUE: &[(&str, &str, &str)] = &[
    ("app.tagline", "Garder le lien avec les personnes fragiles", "Keeping in touch with vulnerable people"),
    ("app.skip", "Aller au contenu", "Skip to content"),
    ("lang.switch", "English", "Français"),
    ("footer.text", "lien — appels de solidarité des services publics", "lien — public-service solidarity calls"),
    ("home.title", "Appels de solidarité", "Solidarity calls"),
    ("home.intro",
     "lien aide les agents volontaires à appeler chaque semaine les personnes âgées, handicapées ou isolées, et transmet chaque besoin exprimé au territoire d’action sociale qui peut y répondre.",
     "lien helps volunteer staff call elderly, disabled or isolated residents every week, and passes every need they express to the social-action territory that can act on it."),
    ("home.steps.title", "Comment ça marche", "How it works"),
    ("home.step.import", "Les coordinateurs importent les listes de bénéficiaires, d’appelants et de territoires.", "Coordinators import the lists of beneficiaries, callers and territories."),
    ("home.step.plan", "Chaque semaine, chaque personne est confiée à un appelant, de préférence le même que la semaine précédente.", "Each week every person is given to a caller, the same one as last week where possible."),
    ("home.step.call", "Les appelants passent leurs appels et notent le résultat en quelques secondes.", "Callers make their calls and record the outcome in seconds."),
    ("home.step.escalate", "Chaque besoin part par courriel au territoire référent, qui indique ce qui a été fait.", "Every need is emailed to the referent territory, which records what was done."),
    ("home.campaigns", "Campagnes", "Campaigns"),
    ("home.no_campaign", "Aucune campagne pour l’instant.", "No campaign yet."),
    ("home.beneficiaries", "personnes suivies", "people followed"),
    ("home.callers", "appelants actifs", "active callers"),
    ("home.territories", "territoires", "territories"),
    ("home.since", "depuis le", "since"),
    ("home.empty_hint", "Aucune liste importée : commencez par importer les territoires, les appelants puis les bénéficiaires.", "No list imported yet: start with territories, then callers, then beneficiaries."),
    ("home.help", "Besoin d’aide ? Consultez le guide de votre rôle dans la documentation.", "Need help? Read the guide for your role in the documentation."),
    ("error.not_found.title", "Page introuvable", "Page not found"),
    ("error.not_found.text", "Cette page n’existe pas ou plus. Vérifiez l’adresse, ou revenez à l’accueil.", "This page does not exist (any more). Check the address or go back home."),
    ("error.internal.title", "Une erreur est survenue", "Something went wrong"),
    ("error.internal.text", "Le service n’a pas pu répondre. Réessayez dans un instant ; si cela se reproduit, prévenez votre coordinateur en indiquant l’heure.", "The service could not answer. Try again in a moment; if it happens again, tell your coordinator the time it happened."),
    ("error.unavailable.title", "Service momentanément indisponible", "Service temporarily unavailable"),
    ("error.unavailable.text", "La base de données ne répond pas. Réessayez dans quelques minutes.", "The database does not answer. Try again in a few minutes."),
    ("error.home", "Retour à l’accueil", "Back to the home page"),
    ("error.reference", "Réf.", "Ref."),
    ("error.forbidden.title", "Accès réservé", "Access restricted"),
    ("error.forbidden.text", "Cette page n’est pas accessible avec votre compte, ou le formulaire a expiré. Rechargez la page précédente et réessayez.", "Your account cannot open this page, or the form expired. Reload the previous page and try again."),
    ("error.bad_request.title", "Demande incorrecte", "Bad request"),
    ("error.bad_request.text", "La demande n’a pas pu être comprise. Revenez en arrière et vérifiez le formulaire.", "The request could not be understood. Go back and check the form."),
    ("error.too_large.title", "Fichier trop volumineux", "File too large"),
    ("error.too_large.text", "Le fichier dépasse la taille autorisée. Découpez-le en plusieurs fichiers ou utilisez la commande lien import.", "The file is over the size limit. Split it, or use the lien import command."),
    ("call.refused.closed", "Cet appel est déjà terminé : son résultat a été enregistré et rien n’a été ajouté. Revenez à votre liste d’appels du jour.", "This call is already done: its outcome was recorded and nothing was added. Go back to today’s list of calls."),
    ("call.refused.past_week", "Cet appel appartenait à une semaine terminée : il n’a pas été enregistré. Revenez à votre liste d’appels de la semaine ; si la personne vous a confié un besoin, transmettez-le à votre coordinateur.", "This call belonged to a week that is over: it was not recorded. Go back to this week’s list of calls; if the person told you of a need, pass it on to your coordinator."),
    ("call.refused.opted_out", "Cette personne a demandé à ne plus être appelée : l’appel n’a pas été enregistré et aucun message n’est parti. Ne la rappelez pas et revenez à votre liste d’appels.", "This person asked not to be called any more: the call was not recorded and no message was sent. Do not call them again; go back to your list of calls."),
    ("call.refused.deceased", "Cette personne est décédée : l’appel n’a pas été enregistré et aucun message n’est parti. Revenez à votre liste d’appels ; pour toute question, adressez-vous à votre coordinateur.", "This person has died: the call was not recorded and no message was sent. Go back to your list of calls; ask your coordinator if you have any question."),
    ("nav.login", "Se connecter", "Log in"),
    ("call.error.no_outcome", "Choisissez le résultat de l’appel.", "Choose the outcome of the call."),
    ("call.error.callback_time", "Indiquez le jour et l’heure du rappel demandé.", "Give the day and time of the callback asked for."),
    ("call.error.need_description", "Décrivez chaque besoin coché en quelques mots.", "Describe each ticked need in a few words."),
    ("quote.open", "« ", "“"),
    ("quote.close", " »", "”"),
    ("imports.title", "Importer des listes", "Import lists"),
    ("imports.intro", "Importez les listes au format CSV (Excel : « Enregistrer sous… CSV (séparateur : point-virgule) »). Commencez par les territoires, puis les appelants, puis les bénéficiaires. Rien n’est enregistré avant votre confirmation.", "Import lists as CSV (Excel: “Save as… CSV (semicolon-separated)”). Start with territories, then callers, then beneficiaries. Nothing is saved until you confirm."),
    ("imports.kind", "Contenu du fichier", "What the file holds"),
    ("imports.campaign", "Campagne", "Campaign"),
    ("imports.file", "Fichier CSV", "CSV file"),
    ("imports.max", "Taille maximale (Mo) :", "Maximum size (MB):"),
    ("imports.check", "Vérifier le fichier", "Check the file"),
    ("imports.history", "Imports précédents", "Previous imports"),
    ("imports.none", "Aucun import pour l’instant.", "No import yet."),
    ("imports.when", "Date", "Date"),
    ("imports.what", "Liste", "List"),
    ("imports.filename", "Fichier", "File"),
    ("imports.rows", "Lignes", "Rows"),
    ("imports.inserted", "Ajoutées", "Added"),
    ("imports.updated", "Mises à jour", "Updated"),
    ("imports.unchanged", "Inchangées", "Unchanged"),
    ("imports.rejected", "Refusées", "Rejected"),
    ("imports.details", "Détails", "Details"),
    ("imports.notice.unchanged", "Aucun changement : ces données étaient déjà à jour.", "No change: this data was already up to date."),
    ("imports.notice.cancelled", "Import annulé : rien n’a été enregistré.", "Import cancelled: nothing was saved."),
    ("imports.kind.territories", "Territoires", "Territories"),
    ("imports.kind.callers", "Appelants", "Callers"),
    ("imports.kind.beneficiaries", "Bénéficiaires", "Beneficiaries"),
    ("imports.kind.opt_out", "Liste d’opposition (ne plus appeler)", "Do-not-call list"),
    ("imports.kind.needs", "Besoins des structures (missions)", "Organisations' needs (missions)"),
    ("imports.kind.volunteers", "Volontaires (missions)", "Volunteers (missions)"),
    ("imports.choose_file", "Choisissez un fichier CSV à importer.", "Choose a CSV file to import."),
    ("preview.title", "Vérification avant import", "Check before importing"),
    ("preview.nothing_saved", "Rien n’est encore enregistré. Vérifiez ci-dessous, puis confirmez ou annulez.", "Nothing is saved yet. Check below, then confirm or cancel."),
    ("preview.encoding", "Encodage", "Encoding"),
    ("preview.delimiter", "Séparateur", "Delimiter"),
    ("preview.would_insert", "à ajouter", "to add"),
    ("preview.would_update", "à mettre à jour", "to update"),
    ("preview.would_keep", "inchangées", "unchanged"),
    ("preview.would_reject", "refusées", "rejected"),
    ("preview.missing", "personnes connues absentes de ce fichier (elles sont conservées) :", "known people missing from this file (they are kept):"),
    ("preview.suppressed", "Sur la liste d'opposition, importées comme opposées (jamais planifiées) :", "On the do-not-call list, imported as opted out (never planned):"),
    ("preview.suppressed_lines", "lignes", "rows"),
    ("preview.listed", "Gardées sur la liste d'opposition sans personne correspondante :", "Kept on the do-not-call list, matching nobody yet:"),
    ("preview.columns", "Colonnes reconnues", "Columns as understood"),
    ("preview.ignored", "ignorée", "ignored"),
    ("preview.first_rows", "Premières lignes", "First rows"),
    ("preview.rejected_rows", "Lignes refusées", "Rejected rows"),
    ("preview.line", "Ligne", "Line"),
    ("preview.column", "Colonne", "Column"),
    ("preview.value", "Valeur", "Value"),
    ("preview.reason", "Motif", "Reason"),
    ("preview.warnings", "Avertissements", "Warnings"),
    ("preview.confirm", "Confirmer l’import", "Confirm the import"),
    ("preview.cancel", "Annuler", "Cancel"),
    ("batch.title", "Import n°", "Import no."),
    ("batch.download", "Télécharger les lignes refusées (CSV pour Excel)", "Download the rejected rows (CSV for Excel)"),
    ("batch.no_rejection", "Aucune ligne refusée.", "No row was rejected."),
    ("batch.back", "Retour aux imports", "Back to imports"),
    ("nav.logout", "Se déconnecter", "Log out"),
    ("nav.imports", "Imports", "Imports"),
    ("nav.planning", "Planning", "Planning"),
    ("nav.queue", "Mes appels", "My calls"),
    ("queue.title", "Mes appels du jour", "Today's calls"),
    ("call.back", "Mes appels du jour", "Today's calls"),
    ("call.closed", "Cet appel est terminé pour cette semaine.", "This call is done for this week."),
    ("call.outcome", "Résultat de l’appel", "Outcome of the call"),
    ("call.callback_at", "Rappel demandé le (si « Demande à être rappelé »)", "Call back on (for “asked to be called back”)"),
    ("call.paused_until", "Absent ou hospitalisé jusqu’au (si « en pause »)", "Away or in hospital until (for “paused”)"),
    ("call.needs", "Besoins exprimés (chacun est transmis au territoire)", "Needs expressed (each one goes to the territory)"),
    ("call.need_description", "En quelques mots", "In a few words"),
    ("call.urgency", "Urgence", "Urgency"),
    ("call.notes", "Notes (pour le prochain appel)", "Notes (for the next call)"),
    ("call.save", "Enregistrer", "Save"),
    ("call.history", "Appels précédents", "Earlier calls"),
    ("call.no_history", "Premier appel.", "First call."),
    ("call.script", "Guide d’appel", "Call script"),
    ("queue.week", "Semaine", "Week"),
    ("queue.done_of", "appels terminés sur", "calls done out of"),
    ("queue.not_now", "Ce n’est pas le moment idéal pour appeler. Heures d’appel :", "This is not a good time to call. Calling hours:"),
    ("queue.next_slot", "Prochain créneau :", "Next slot:"),
    ("queue.empty.none", "Vous n’avez personne à appeler cette semaine. Votre coordinateur vous préviendra quand le planning sera prêt.", "You have nobody to call this week. Your coordinator will tell you when the plan is ready."),
    ("queue.empty.done", "Tous vos appels de la semaine sont terminés. Merci !", "All your calls for this week are done. Thank you!"),
    ("queue.next_due", "Prochain appel prévu le", "Next call due on"),
    ("queue.speaks", "parle", "speaks"),
    ("queue.last_talk", "Dernière conversation le", "Last conversation on"),
    ("queue.never_talked", "Jamais joint", "Never reached"),
    ("queue.open_needs", "besoin(s) en cours", "open need(s)"),
    ("queue.attempts", "essai(s) cette semaine", "attempt(s) this week"),
    ("nav.week", "Semaine", "Week"),
    ("nav.trends", "Tendances", "Trends"),
    ("nav.time", "Temps donné", "Time given"),
    ("week.title", "Bilan de la semaine", "Week report"),
    ("week.live", "Semaine en cours : les chiffres bougent encore.", "Current week: the figures are still moving."),
    ("week.as_of", "Chiffres lus à", "Figures read at"),
    ("week.as_of_hint", "(au plus une seconde avant l’affichage : un appel enregistré apparaît au plus tard une seconde après).", "(at most a second before the page was shown: a call recorded shows at the latest a second later)."),
    ("week.attempted_pct", "Appelées :", "Called:"),
    ("week.reached_pct", "jointes :", "reached:"),
    ("week.headline_conversations", "conversations", "conversations"),
    ("week.headline_reached", "personnes jointes", "people reached"),
    ("week.headline_escalations", "besoins signalés", "needs escalated"),
    ("week.vs", "par rapport à", "vs"),
    ("week.eligible", "Personnes à appeler", "People to call"),
    ("week.assigned", "Attribuées", "Assigned"),
    ("week.attempted", "Appelées au moins une fois", "Called at least once"),
    ("week.calls", "Appels passés", "Calls made"),
    ("week.reached", "Jointes", "Reached"),
    ("week.conversations", "Conversations", "Conversations"),
    ("week.not_reached", "Non jointes (essais épuisés)", "Not reached (no attempt left)"),
    ("week.in_progress", "En cours (à rappeler)", "In progress (to call again)"),
    ("week.opted_out", "Ne souhaitent plus d’appels", "Opted out"),
    ("week.paused", "Hospitalisées ou absentes", "In hospital or away"),
    ("week.deceased", "Décédées", "Deceased"),
    ("week.wrong_numbers", "Mauvais numéros", "Wrong numbers"),
    ("week.escalations", "Besoins signalés", "Needs escalated"),
    ("week.coverage", "Couverture", "Coverage"),
    ("week.download_totals", "Télécharger les totaux (CSV)", "Download the totals (CSV)"),
    ("week.download_not_reached", "Télécharger les personnes non jointes (CSV)", "Download the people not reached (CSV)"),
    ("week.escalations_title", "Besoins signalés cette semaine", "Needs escalated this week"),
    ("week.by_category", "Par catégorie", "By category"),
    ("week.by_status", "Par statut", "By status"),
    ("week.by_territory", "Par territoire", "By territory"),
    ("week.count", "Nombre", "Count"),
    ("week.none", "Aucun", "None"),
    ("week.no_territory", "Sans territoire", "No territory"),
    ("week.callers_title", "Appelants", "Callers"),
    ("week.callers_assigned", "Avec des attributions", "With assignments"),
    ("week.callers_active", "Ont appelé", "Have called"),
    ("week.callers_not_started", "N’ont pas commencé", "Have not started"),
    ("week.calls_per_caller", "Appels par appelant :", "Calls per caller:"),
    ("week.median", "médiane", "median"),
    ("week.calls_band", "Appels dans la semaine", "Calls in the week"),
    ("week.callers", "Appelants", "Callers"),
    ("week.quality_title", "Données à corriger", "Data to fix"),
    ("week.quality_rejected", "Lignes d’import refusées en attente de correction :", "Rejected import rows awaiting a fix:"),
    ("week.quality_wrong_numbers", "Personnes avec un numéro signalé faux :", "People with a number reported wrong:"),
    ("week.quality_without_territory", "Personnes sans territoire :", "People without a territory:"),
    ("week.quality_unroutable", "Besoins ouverts sans destinataire (pas de territoire ou pas de courriel) :", "Open needs with no recipient (no territory or no mail):"),
    ("week.definitions", "Jointes : au moins un appel où quelqu’un a répondu (y compris refus, rappel demandé, absence). Conversations : « tout va bien » ou « besoin exprimé ». Couverture : jointes ÷ personnes à appeler. Définitions complètes dans le guide du coordinateur.", "Reached: at least one call someone answered (including refusals, callbacks, absences). Conversations: “all is well” or “need expressed”. Coverage: reached ÷ people to call. Full definitions in the coordinator's guide."),
    ("trends.title", "Tendances de la campagne", "Campaign trends"),
    ("trends.chart", "Personnes attribuées, jointes et conversations par semaine", "People assigned, reached and conversations per week"),
    ("trends.escalations_chart", "Besoins signalés par semaine", "Needs escalated per week"),
    ("trends.empty", "Aucune semaine planifiée pour cette campagne.", "No week planned for this campaign yet."),
    ("trends.by_territory", "Par territoire, semaine", "By territory, week"),
    ("journal.title", "Journal des accès et actions", "Audit trail"),
    ("journal.person", "Référence de dossier", "File reference"),
    ("journal.account", "Compte (courriel)", "Account (email)"),
    ("journal.action", "Action", "Action"),
    ("journal.from", "Du", "From"),
    ("journal.to", "Au", "To"),
    ("journal.filter", "Filtrer", "Filter"),
    ("journal.events", "événements", "events"),
    ("journal.csv", "Télécharger (CSV)", "Download (CSV)"),
    ("journal.at", "Date (UTC)", "Time (UTC)"),
    ("journal.actor", "Par", "By"),
    ("journal.subject", "Objet", "Subject"),
    ("journal.detail", "Détail", "Detail"),
    ("journal.none", "Aucun événement.", "No event."),
    ("journal.previous", "Précédents", "Newer"),
    ("journal.next", "Suivants", "Older"),
    ("time.title", "Temps donné par les appelants", "Time given by callers"),
    ("time.estimate", "Durée enregistrée quand l’appel en a une ; sinon estimée : 10 min par conversation, 5 min pour une autre réponse, 2 min pour un appel sans réponse. Une demi-journée = 3 h 30.", "Recorded duration when the call has one; otherwise estimated: 10 min per conversation, 5 min for another answer, 2 min for an unanswered call. Half a day = 3.5 h."),
    ("time.caller", "Appelant", "Caller"),
    ("time.week_calls", "Appels (conversations) semaine", "Calls (conversations) week"),
    ("time.week_time", "Temps semaine", "Time week"),
    ("time.month_calls", "Appels (conversations)", "Calls (conversations)"),
    ("time.month_time", "Temps", "Time"),
    ("time.half_days", "Demi-journées du mois", "Half-days this month"),
    ("planning.title", "Planning de la semaine", "Week plan"),
    ("planning.week", "Semaine", "Week"),
    ("planning.show", "Afficher", "Show"),
    ("planning.stored", "Attributions enregistrées pour cette semaine :", "Assignments recorded for this week:"),
    ("planning.preview", "Ci-dessous, ce que donnerait la planification maintenant ; rien n’est enregistré avant de cliquer sur « Enregistrer le planning ».", "Below, what planning now would give; nothing is recorded until you click “Record the plan”."),
    ("planning.eligible", "Personnes à appeler", "People to call"),
    ("planning.assigned", "Attribuées", "Assigned"),
    ("planning.new", "Nouvelles", "New"),
    ("planning.moved", "Déplacées", "Moved"),
    ("planning.unassigned", "Sans appelant", "Without a caller"),
    ("planning.continuity", "Même appelant que la fois précédente :", "Same caller as last time:"),
    ("planning.load", "charge min / médiane / max :", "load min / median / max:"),
    ("planning.callers", "appelants mobilisés :", "callers used:"),
    ("planning.commit", "Enregistrer le planning", "Record the plan"),
    ("planning.rebalance", "Rééquilibrer", "Rebalance"),
    ("planning.rebalance_help", "Rééquilibrer déplace seulement les appels pas encore passés des appelants devenus indisponibles, vers des appelants qui ont de la place ; personne d’autre ne change.", "Rebalancing moves only the not-yet-made calls of callers who became unavailable to callers with room; nobody else changes."),
    ("planning.unassigned_title", "Personnes sans appelant, par motif", "People without a caller, by reason"),
    ("planning.reasons", "Motifs des attributions", "Reasons for the assignments"),
    ("planning.by_territory", "Par territoire", "By territory"),
    ("planning.territory", "Territoire", "Territory"),
    ("planning.notice.planned", "Planning enregistré.", "Plan recorded."),
    ("planning.notice.rebalanced", "Rééquilibrage enregistré.", "Rebalancing recorded."),
    ("login.title", "Connexion", "Log in"),
    ("login.email", "Adresse électronique", "Email address"),
    ("login.password", "Mot de passe", "Password"),
    ("login.submit", "Se connecter", "Log in"),
    ("login.failed", "Adresse électronique ou mot de passe incorrect.", "Wrong email address or password."),
    ("login.too_many", "Trop de tentatives. Attendez une minute avant de réessayer.", "Too many attempts. Wait a minute before trying again."),
    ("login.link_invalid", "Ce lien de connexion n’est plus valable (déjà utilisé ou trop ancien). Demandez-en un nouveau ci-dessous.", "This login link no longer works (already used or too old). Ask for a new one below."),
    ("link.title", "Mot de passe oublié ?", "Forgot your password?"),
    ("link.intro", "Recevez par courriel un lien de connexion, valable une seule fois pendant 20 minutes.", "Get a login link by email; it works once, for 20 minutes."),
    ("link.submit", "Recevoir un lien de connexion", "Send me a login link"),
    ("link.sent.title", "Vérifiez votre messagerie", "Check your mailbox"),
    ("link.sent.text", "Si un compte existe pour cette adresse, un lien de connexion vient d’y être envoyé. Il fonctionne une seule fois, pendant 20 minutes.", "If an account exists for this address, a login link has just been sent to it. It works once, for 20 minutes."),
    ("link.back", "Retour à la connexion", "Back to login"),
    ("nav.logout_all", "Se déconnecter partout", "Log out everywhere"),
    ("nav.campaigns", "Campagnes", "Campaigns"),
    ("imports.invite", "Appelants : créer les comptes des nouveaux appelants et leur envoyer une invitation par courriel", "Callers: create accounts for new callers and email them an invitation"),
    ("preview.would_invite", "invitations à envoyer", "invitations to send"),
    ("code.title", "Code de vérification", "Verification code"),
    ("code.intro", "Saisissez le code à 6 chiffres affiché par votre application d’authentification.", "Enter the 6-digit code shown by your authenticator app."),
    ("code.setup_title", "Première connexion : protégez votre compte", "First login: protect your account"),
    ("code.setup_app", "Installez sur votre téléphone une application d’authentification (par exemple FreeOTP, Aegis, Google Authenticator ou Microsoft Authenticator).", "Install an authenticator app on your phone (for example FreeOTP, Aegis, Google Authenticator or Microsoft Authenticator)."),
    ("code.setup_scan", "Dans l’application, ajoutez un compte en scannant ce QR code.", "In the app, add an account by scanning this QR code."),
    ("code.qr_label", "QR code à scanner avec l’application d’authentification", "QR code to scan with the authenticator app"),
    ("code.setup_manual", "Si vous ne pouvez pas scanner, saisissez cette clé dans l’application :", "If you cannot scan, type this key into the app:"),
    ("code.setup_confirm", "Puis saisissez ci-dessous le code à 6 chiffres qu’elle affiche.", "Then enter below the 6-digit code it shows."),
    ("code.label", "Code à 6 chiffres", "6-digit code"),
    ("code.submit", "Valider", "Confirm"),
    ("code.wrong", "Ce code n’est pas valable. Attendez le code suivant et réessayez ; vérifiez aussi l’heure de votre téléphone.", "This code is not valid. Wait for the next code and try again; check your phone’s clock too."),
    ("code.too_many", "Trop de codes erronés pour ce compte : par sécurité, aucun code n’est accepté pendant 15 minutes, même le bon. Réessayez plus tard.", "Too many wrong codes for this account: for safety, no code is accepted for 15 minutes, not even the right one. Try again later."),
    ("enrol.title", "Code à usage unique", "One-time code"),
    ("enrol.sent", "Votre compte doit être protégé par un code à usage unique. Un lien pour le configurer vient d’être envoyé à votre adresse de messagerie : il fonctionne une seule fois, pendant 24 heures. Aucune session n’est ouverte avant.", "Your account must be protected by a one-time code. A link to set it up has just been sent to your email address: it works once, for 24 hours. No session is opened before."),
    ("enrol.invalid", "Ce lien de configuration n’est plus valable (déjà utilisé ou trop ancien). Connectez-vous avec votre mot de passe pour en recevoir un nouveau, ou demandez-le à un administrateur.", "This set-up link no longer works (already used or too old). Log in with your password to receive a new one, or ask an administrator."),
    ("code.lost", "Téléphone perdu ou changé ? Un administrateur peut réinitialiser votre code (lien users reset-totp).", "Lost or changed phone? An administrator can reset your code (lien users reset-totp)."),
    ("campaigns.title", "Campagnes", "Campaigns"),
    ("campaigns.name", "Campagne", "Campaign"),
    ("campaigns.people", "Personnes", "People"),
    ("campaigns.hours", "Heures d’appel", "Calling hours"),
    ("campaigns.retries", "Tentatives / écart", "Attempts / gap"),
    ("campaigns.edit", "Réglages", "Settings"),
    ("campaigns.create_hint", "Une nouvelle campagne (canicule, grand froid…) se crée avec la commande « lien campaign create ».", "A new campaign (heatwave, cold snap…) is created with the “lien campaign create” command."),
    ("settings.title", "Réglages de la campagne", "Campaign settings"),
    ("settings.saved", "Réglages enregistrés. Les files d’appels les suivent dès maintenant.", "Settings saved. Callers’ queues follow them from now on."),
    ("settings.fix", "Les réglages n’ont pas été enregistrés. À corriger :", "The settings were not saved. To fix:"),
    ("settings.campaign_title", "Titre", "Title"),
    ("settings.coordinator_email", "Adresse de la coordination", "Coordination address"),
    ("settings.coordinator_email_help", "Les territoires répondent à cette adresse quand ils reçoivent un signalement.", "Territories reply to this address when they receive an escalation."),
    ("settings.days", "Jours d’appel", "Calling days"),
    ("settings.windows", "Plages horaires (heure de Paris)", "Time windows (Paris time)"),
    ("settings.windows_help", "Par exemple : 09:00-12:00, 14:00-18:30. En dehors de ces heures, les appelants voient un avertissement.", "For example: 09:00-12:00, 14:00-18:30. Outside these hours callers see a warning."),
    ("settings.max_attempts", "Tentatives au plus par personne et par semaine", "Attempts at most per person and week"),
    ("settings.retry_gap", "Écart minimum entre deux tentatives (minutes)", "Minimum gap between two attempts (minutes)"),
    ("settings.retry_help", "Sans réponse après la dernière tentative, la personne sort de la file pour la semaine.", "With no answer after the last attempt, the person leaves the queue for the week."),
    ("settings.save", "Enregistrer", "Save"),
    ("day.mon", "Lundi", "Monday"),
    ("day.tue", "Mardi", "Tuesday"),
    ("day.wed", "Mercredi", "Wednesday"),
    ("day.thu", "Jeudi", "Thursday"),
    ("day.fri", "Vendredi", "Friday"),
    ("day.sat", "Samedi", "Saturday"),
    ("day.sun", "Dimanche", "Sunday"),
    ("login.help", "Mot de passe oublié ? Demandez à votre coordinateur de renouveler votre accès.", "Forgot your password? Ask your coordinator to renew your access."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_weights() {
        assert_eq!(
            Lang::from_accept_language("en-GB,en;q=0.9,fr;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("de-DE,fr;q=0.5,en;q=0.4"),
            Some(Lang::Fr)
        );
        assert_eq!(Lang::from_accept_language("de-DE"), None);
        assert_eq!(Lang::from_accept_language("fr-FR"), Some(Lang::Fr));
    }

    #[test]
    fn catalogue_keys_are_unique_and_complete() {
        let mut keys: Vec<_> = all_texts().map(|(k, _, _)| *k).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate key in the catalogue");
        for (k, fr, en) in all_texts() {
            assert!(!fr.is_empty() && !en.is_empty(), "{k} lacks a text");
        }
    }

    #[test]
    fn every_refused_call_has_its_sentence_in_both_languages() {
        for refused in crate::calling::refusal::CallRefused::ALL {
            let key = refused.message_key();
            let (_, fr, en) = all_texts().find(|(k, _, _)| *k == key).expect(key);
            assert!(
                fr.ends_with('.') && en.ends_with('.'),
                "{key}: whole sentences"
            );
        }
    }

    #[test]
    fn every_key_used_by_a_template_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                continue; // templates/mail/: French only, no translator
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("tr.t(\"").skip(1) {
                let key = piece.split('"').next().unwrap();
                assert!(
                    all_texts().any(|(k, _, _)| *k == key),
                    "{} uses the unknown key {key}",
                    path.display()
                );
            }
        }
    }
}
