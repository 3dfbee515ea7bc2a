//! Languages a beneficiary speaks.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::{fold, trim_cell};

/// A language as a lowercase ISO 639 code: the two-letter ISO 639-1 code
/// when the language has one (`"fr"`, `"ar"`, `"wo"`), otherwise a
/// three-letter ISO 639-2/639-3 code from a curated list of languages
/// spoken in France and its overseas départements (`"ber"`, `"fsl"`,
/// `"rcf"`…).
///
/// Accepts, case- and accent-insensitively:
/// - any ISO 639-1 code (`"FR"`, `"fr"`),
/// - the ISO 639-2 three-letter code of the listed languages (`"fra"`,
///   `"fre"`, `"ara"`), normalised to the two-letter code,
/// - a BCP 47 tag, reduced to its language (`"fr-FR"`, `"pt_BR"`),
/// - French and English names (`"français"`, `"Francais"`, `"French"`,
///   `"arabe"`, `"Arabic"`, `"langue des signes"`, `"LSF"`…).
///
/// Choices for languages without a 639-1 code: berbère / tamazight /
/// amazigh -> `ber` (ISO 639-2 collective), kabyle -> `kab`; LSF / langue
/// des signes -> `fsl` (French Sign Language); a bare "créole" -> `cpf`
/// (ISO 639-2 collective "French-based creoles"), while a qualified creole
/// gets its own code: antillais / guadeloupéen / martiniquais -> `gcf`,
/// réunionnais -> `rcf`, guyanais -> `gcr`, haïtien -> `ht`, mauricien ->
/// `mfe`; shimaoré / mahorais / comorien -> `swb`, kibushi -> `buc`;
/// alsacien -> `gsw`; soninké -> `snk`. Arabic varieties (darija,
/// maghrébin) -> `ar`; dari / farsi -> `fa`; mandarin -> `zh`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LanguageCode(String);

/// Why a language was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LanguageError {
    #[error("language is empty")]
    Empty,
    #[error("language value is too long")]
    TooLong,
    #[error("unknown language {0:?}")]
    Unknown(String),
}

impl LanguageError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            LanguageError::Empty => "language_empty",
            LanguageError::TooLong => "language_too_long",
            LanguageError::Unknown(_) => "language_unknown",
        }
    }

    /// French message for the coordinator.
    pub fn message_fr(&self) -> String {
        match self {
            LanguageError::Empty => "La langue est vide.".to_owned(),
            LanguageError::TooLong => {
                "La liste de langues est trop longue : indiquez seulement les langues parlées, séparées par des virgules.".to_owned()
            }
            LanguageError::Unknown(s) => format!(
                "« {s} » n'est pas une langue reconnue : écrivez son nom en français (ex. arabe, portugais) ou son code ISO (ex. ar, pt)."
            ),
        }
    }
}

/// ISO 639-1 codes (the 183 current ones).
const ISO_639_1: &str = "aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch \
co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he \
hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv \
kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny \
oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su \
sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu";

/// A named language: its code, French name, and extra folded (lowercase,
/// accent-free) aliases. The code and the folded French name always match.
struct Lang {
    code: &'static str,
    fr: &'static str,
    aliases: &'static [&'static str],
}

const fn lang(code: &'static str, fr: &'static str, aliases: &'static [&'static str]) -> Lang {
    Lang { code, fr, aliases }
}

const LANGUAGES: &[Lang] = &[
    lang("fr", "Français", &["french", "fra", "fre"]),
    lang("en", "Anglais", &["english", "eng"]),
    lang(
        "ar",
        "Arabe",
        &[
            "arabic",
            "ara",
            "arabe dialectal",
            "arabe maghrebin",
            "arabe litteraire",
            "darija",
        ],
    ),
    lang(
        "pt",
        "Portugais",
        &[
            "portuguese",
            "por",
            "portugais bresilien",
            "bresilien",
            "brazilian portuguese",
        ],
    ),
    lang(
        "es",
        "Espagnol",
        &["spanish", "spa", "castillan", "castilian"],
    ),
    lang("tr", "Turc", &["turkish", "tur"]),
    lang("it", "Italien", &["italian", "ita"]),
    lang("de", "Allemand", &["german", "deu", "ger"]),
    lang("ro", "Roumain", &["romanian", "ron", "rum"]),
    lang("pl", "Polonais", &["polish", "pol"]),
    lang("ru", "Russe", &["russian", "rus"]),
    lang("uk", "Ukrainien", &["ukrainian", "ukr"]),
    lang("zh", "Chinois", &["chinese", "zho", "chi", "mandarin"]),
    lang("vi", "Vietnamien", &["vietnamese", "vie"]),
    lang("ta", "Tamoul", &["tamil", "tam"]),
    lang("wo", "Wolof", &["wol"]),
    lang("bm", "Bambara", &["bam"]),
    lang(
        "ff",
        "Peul",
        &["fula", "fulani", "pular", "poular", "fulfulde", "ful"],
    ),
    lang("snk", "Soninké", &["soninke"]),
    lang("ln", "Lingala", &["lin"]),
    lang("sw", "Swahili", &["kiswahili", "swa"]),
    lang("mg", "Malgache", &["malagasy", "mlg"]),
    lang(
        "ber",
        "Berbère",
        &["berber", "tamazight", "amazigh", "tamazigh"],
    ),
    lang("kab", "Kabyle", &[]),
    lang(
        "fsl",
        "Langue des signes française",
        &[
            "lsf",
            "langue des signes",
            "langage des signes",
            "french sign language",
            "sign language",
        ],
    ),
    lang(
        "cpf",
        "Créole",
        &["creole", "creole francais", "french creole"],
    ),
    lang(
        "gcf",
        "Créole antillais",
        &[
            "creole guadeloupeen",
            "creole martiniquais",
            "antillean creole",
            "guadeloupean creole",
            "martinican creole",
        ],
    ),
    lang(
        "rcf",
        "Créole réunionnais",
        &["reunion creole", "reunionese creole"],
    ),
    lang(
        "gcr",
        "Créole guyanais",
        &["guianese creole", "french guianese creole"],
    ),
    lang(
        "ht",
        "Créole haïtien",
        &["haitian creole", "haitien", "haitian", "hat"],
    ),
    lang(
        "mfe",
        "Créole mauricien",
        &["mauritian creole", "morisien", "kreol morisien"],
    ),
    lang(
        "swb",
        "Shimaoré",
        &["mahorais", "comorien", "comorian", "shikomori"],
    ),
    lang("buc", "Kibushi", &["shibushi"]),
    lang("ty", "Tahitien", &["tahitian", "tah", "reo maohi"]),
    lang(
        "nl",
        "Néerlandais",
        &["dutch", "nld", "dut", "flamand", "flemish"],
    ),
    lang("sr", "Serbe", &["serbian", "srp"]),
    lang("hr", "Croate", &["croatian", "hrv"]),
    lang("bs", "Bosniaque", &["bosnian", "bos"]),
    lang("sq", "Albanais", &["albanian", "sqi", "alb"]),
    lang("hy", "Arménien", &["armenian", "hye", "arm"]),
    lang("ka", "Géorgien", &["georgian", "kat", "geo"]),
    lang("fa", "Persan", &["persian", "farsi", "dari", "fas", "per"]),
    lang("ps", "Pachto", &["pashto", "pachtou", "pashtu", "pus"]),
    lang("ku", "Kurde", &["kurdish", "kur"]),
    lang("ur", "Ourdou", &["urdu", "urd"]),
    lang("hi", "Hindi", &["hin"]),
    lang("bn", "Bengali", &["bangla", "ben"]),
    lang("si", "Cinghalais", &["sinhala", "sinhalese", "sin"]),
    lang("pa", "Pendjabi", &["punjabi", "panjabi", "pan"]),
    lang("br", "Breton", &["bre"]),
    lang("eu", "Basque", &["eus", "baq"]),
    lang("ca", "Catalan", &["cat"]),
    lang("co", "Corse", &["corsican", "cos"]),
    lang("oc", "Occitan", &["oci"]),
    lang("gsw", "Alsacien", &["alsatian"]),
    lang("yi", "Yiddish", &["yid"]),
    lang("he", "Hébreu", &["hebrew", "heb"]),
    lang("el", "Grec", &["greek", "ell", "gre"]),
    lang("ja", "Japonais", &["japanese", "jpn"]),
    lang("ko", "Coréen", &["korean", "kor"]),
    lang("km", "Khmer", &["cambodgien", "cambodian", "khm"]),
    lang("lo", "Lao", &["laotien", "laotian"]),
    lang("th", "Thaï", &["thai", "tha"]),
    lang("tl", "Tagalog", &["filipino", "tgl"]),
    lang("hu", "Hongrois", &["hungarian", "hun"]),
    lang("cs", "Tchèque", &["czech", "ces", "cze"]),
    lang("sk", "Slovaque", &["slovak", "slk"]),
    lang("bg", "Bulgare", &["bulgarian", "bul"]),
    lang("ti", "Tigrigna", &["tigrinya", "tir"]),
    lang("am", "Amharique", &["amharic", "amh"]),
    lang("so", "Somali", &["som"]),
    lang("rw", "Kinyarwanda", &["kin"]),
    lang("lb", "Luxembourgeois", &["luxembourgish", "ltz"]),
    lang("sv", "Suédois", &["swedish", "swe"]),
    lang("da", "Danois", &["danish", "dan"]),
    lang("no", "Norvégien", &["norwegian", "nor"]),
    lang("fi", "Finnois", &["finnish", "fin"]),
];

/// Words that separate languages in a list ("arabe et français").
const LIST_WORDS: &[&str] = &["et", "and", "ou", "or"];

/// Characters that separate the languages of a list.
const LIST_SEPARATORS: [char; 9] = [',', ';', '/', '+', '&', '|', '(', ')', '\n'];

/// The language of a cell that holds one word, neither a separator nor a list word,
/// naming a language; `None` for anything else (the general path decides).
fn one_word_code(raw: &str) -> Option<&'static str> {
    let word = raw.trim();
    let single = !word.is_empty()
        && !word.contains(|c: char| c.is_whitespace() || LIST_SEPARATORS.contains(&c))
        && !LIST_WORDS.contains(&fold(word).as_str());
    if single {
        parse_code(word).ok()
    } else {
        None
    }
}

const MAX_LEN: usize = 64;
const MAX_LIST_LEN: usize = 500;

/// Looks up one already-folded, trimmed candidate.
fn lookup(s: &str) -> Option<&'static str> {
    if let Some(l) = LANGUAGES
        .iter()
        .find(|l| l.code == s || l.aliases.contains(&s) || fold(l.fr) == s)
    {
        return Some(l.code);
    }
    ISO_639_1.split(' ').find(|c| *c == s)
}

fn parse_code(raw: &str) -> Result<&'static str, LanguageError> {
    let s = trim_cell(raw);
    if s.is_empty() {
        return Err(LanguageError::Empty);
    }
    if s.chars().count() > MAX_LEN {
        return Err(LanguageError::TooLong);
    }
    let folded = fold(s);
    let folded = folded.trim_matches(|c: char| c.is_whitespace() || matches!(c, '.' | '(' | ')'));
    let spaced = folded
        .replace(['-', '_'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(code) = lookup(folded).or_else(|| lookup(&spaced)) {
        return Ok(code);
    }
    // BCP 47 tag: "fr-FR", "pt_BR", "zh-Hant".
    if let Some((primary, _)) = folded.split_once(['-', '_']) {
        if (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase()) {
            if let Some(code) = lookup(primary) {
                return Ok(code);
            }
        }
    }
    Err(LanguageError::Unknown(s.chars().take(40).collect()))
}

impl LanguageCode {
    /// Parses one language (see the type documentation).
    pub fn parse(raw: &str) -> Result<LanguageCode, LanguageError> {
        parse_code(raw).map(|c| LanguageCode(c.to_owned()))
    }

    /// French, the default language.
    pub fn french() -> LanguageCode {
        LanguageCode("fr".to_owned())
    }

    /// Parses a cell listing several languages: separated by `, ; / + & |`,
    /// parentheses, line breaks, spaces, or the words "et", "and", "ou",
    /// "or". Multi-word names are recognised (`"langue des signes"`,
    /// `"créole réunionnais"`), longest first. The result is deduplicated,
    /// in first-seen order; an empty cell gives an empty list.
    pub fn parse_list(raw: &str) -> Result<Vec<LanguageCode>, LanguageError> {
        if raw.chars().count() > MAX_LIST_LEN {
            return Err(LanguageError::TooLong);
        }
        // Most cells name one language in one word (`fr`, `arabe`): what the general
        // path finds for them, without its splitting and joining.
        if let Some(code) = one_word_code(raw) {
            return Ok(vec![LanguageCode(code.to_owned())]);
        }
        Self::parse_words(raw)
    }

    /// [`LanguageCode::parse_list`]'s general path: separators, list words, names of
    /// several words.
    fn parse_words(raw: &str) -> Result<Vec<LanguageCode>, LanguageError> {
        let mut out: Vec<LanguageCode> = Vec::new();
        let mut push = |code: &'static str| {
            if !out.iter().any(|c| c.0 == code) {
                out.push(LanguageCode(code.to_owned()));
            }
        };
        // "et", "ou"… separate names as commas do: "créole et français" is two languages,
        // never the two-word name "créole français".
        let chunks = raw
            .split(LIST_SEPARATORS)
            .flat_map(|chunk| {
                chunk
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .split(|w| LIST_WORDS.contains(&fold(w).as_str()))
                    .map(<[&str]>::to_vec)
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>();
        for words in chunks {
            let mut i = 0;
            while i < words.len() {
                // Longest match first; no name has more than 4 words.
                let found = (i + 1..=words.len().min(i + 4))
                    .rev()
                    .find_map(|j| parse_code(&words[i..j].join(" ")).ok().map(|c| (j, c)));
                match found {
                    Some((j, code)) => {
                        push(code);
                        i = j;
                    }
                    None => {
                        return Err(LanguageError::Unknown(words[i].chars().take(40).collect()))
                    }
                }
            }
        }
        Ok(out)
    }

    /// The ISO 639 code, e.g. `"fr"`, `"fsl"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// French name for the listed languages (`"Arabe"`), `None` for other
    /// ISO 639-1 codes.
    pub fn name_fr(&self) -> Option<&'static str> {
        LANGUAGES.iter().find(|l| l.code == self.0).map(|l| l.fr)
    }

    /// Whether this is French.
    pub fn is_french(&self) -> bool {
        self.0 == "fr"
    }
}

impl fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for LanguageCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for LanguageCode {
    type Err = LanguageError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LanguageCode::parse(s)
    }
}

impl TryFrom<String> for LanguageCode {
    type Error = LanguageError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        LanguageCode::parse(&s)
    }
}

impl From<LanguageCode> for String {
    fn from(l: LanguageCode) -> String {
        l.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(raw: &str) -> String {
        match LanguageCode::parse(raw) {
            Ok(c) => c.0,
            Err(e) => panic!("{raw:?}: {e}"),
        }
    }

    fn list(raw: &str) -> Vec<String> {
        match LanguageCode::parse_list(raw) {
            Ok(v) => v.into_iter().map(String::from).collect(),
            Err(e) => panic!("{raw:?}: {e}"),
        }
    }

    #[test]
    fn table_is_consistent() {
        let iso: Vec<&str> = ISO_639_1.split(' ').collect();
        assert_eq!(iso.len(), 183);
        let mut seen = std::collections::HashSet::new();
        for l in LANGUAGES {
            assert!(seen.insert(l.code), "duplicate code {}", l.code);
            match l.code.len() {
                2 => assert!(iso.contains(&l.code), "{} is not ISO 639-1", l.code),
                3 => assert!(!iso.contains(&l.code)),
                _ => panic!("bad code {}", l.code),
            }
            assert!(l.code.bytes().all(|b| b.is_ascii_lowercase()));
            for a in l.aliases {
                assert_eq!(fold(a), *a, "alias {a} must be folded");
                // Every alias maps back to its own code (no alias is shadowed).
                assert_eq!(code(a), l.code, "alias {a}");
            }
            assert_eq!(code(l.fr), l.code);
            assert_eq!(LanguageCode::parse(l.code).unwrap().name_fr(), Some(l.fr));
        }
    }

    #[test]
    fn accepts_codes_and_names() {
        let cases = [
            ("fr", "fr"),
            ("FR", "fr"),
            (" Fr ", "fr"),
            ("fra", "fr"),
            ("fr-FR", "fr"),
            ("pt_BR", "pt"),
            ("zh-Hant", "zh"),
            ("français", "fr"),
            ("Francais", "fr"),
            ("FRANÇAIS", "fr"),
            ("French", "fr"),
            ("anglais", "en"),
            ("English", "en"),
            ("arabe", "ar"),
            ("Arabic", "ar"),
            ("portugais", "pt"),
            ("espagnol", "es"),
            ("turc", "tr"),
            ("italien", "it"),
            ("allemand", "de"),
            ("roumain", "ro"),
            ("polonais", "pl"),
            ("russe", "ru"),
            ("chinois", "zh"),
            ("Mandarin", "zh"),
            ("vietnamien", "vi"),
            ("tamoul", "ta"),
            ("wolof", "wo"),
            ("bambara", "bm"),
            ("berbère", "ber"),
            ("Berbere", "ber"),
            ("tamazight", "ber"),
            ("kabyle", "kab"),
            ("créole", "cpf"),
            ("Créole réunionnais", "rcf"),
            ("créole-réunionnais", "rcf"),
            ("creole  martiniquais", "gcf"),
            ("créole haïtien", "ht"),
            ("lsf", "fsl"),
            ("LSF", "fsl"),
            ("langue des signes", "fsl"),
            ("Langue des signes française", "fsl"),
            ("shimaoré", "swb"),
            ("Hébreu", "he"),
            ("ar", "ar"),
            ("wo", "wo"),
            ("ig", "ig"),
            ("Français.", "fr"),
            ("(arabe)", "ar"),
        ];
        for (raw, want) in cases {
            assert_eq!(code(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn rejects() {
        let cases = [
            ("", "language_empty"),
            ("  ", "language_empty"),
            ("xx", "language_unknown"),
            ("qq", "language_unknown"),
            ("abc", "language_unknown"),
            ("klingon", "language_unknown"),
            ("f", "language_unknown"),
            ("français anglais", "language_unknown"),
            ("fr,en", "language_unknown"),
            ("français, un peu", "language_unknown"),
            ("1", "language_unknown"),
        ];
        for (raw, c) in cases {
            let e = LanguageCode::parse(raw).expect_err(raw);
            assert_eq!(e.code(), c, "{raw:?}");
            assert!(!e.message_fr().is_empty());
        }
        assert_eq!(
            LanguageCode::parse(&"a".repeat(65)).unwrap_err().code(),
            "language_too_long"
        );
        assert_eq!(
            LanguageCode::parse("klingon").unwrap_err().message_fr(),
            "« klingon » n'est pas une langue reconnue : écrivez son nom en français (ex. arabe, portugais) ou son code ISO (ex. ar, pt)."
        );
    }

    #[test]
    fn lists() {
        assert_eq!(list("français, arabe"), ["fr", "ar"]);
        assert_eq!(list("Français; Arabe / Anglais"), ["fr", "ar", "en"]);
        assert_eq!(list("français et anglais"), ["fr", "en"]);
        assert_eq!(list("fr en ar"), ["fr", "en", "ar"]);
        assert_eq!(list("arabe, français, Arabic, AR"), ["ar", "fr"]);
        assert_eq!(list("langue des signes (LSF) et français"), ["fsl", "fr"]);
        assert_eq!(list("créole réunionnais français"), ["rcf", "fr"]);
        assert_eq!(list("créole, français"), ["cpf", "fr"]);
        assert_eq!(list("Créole et Français"), ["cpf", "fr"]);
        assert_eq!(list("portugais + espagnol & italien"), ["pt", "es", "it"]);
        assert_eq!(list("fr\nen"), ["fr", "en"]);
        assert_eq!(list("arabe ou français"), ["ar", "fr"]);
        assert_eq!(list(""), Vec::<String>::new());
        assert_eq!(list(" , ; "), Vec::<String>::new());
        let e = LanguageCode::parse_list("français, klingon").unwrap_err();
        assert_eq!(e, LanguageError::Unknown("klingon".to_owned()));
        let e = LanguageCode::parse_list("créole inconnu").unwrap_err();
        assert_eq!(e, LanguageError::Unknown("inconnu".to_owned()));
        assert_eq!(
            LanguageCode::parse_list(&"fr, ".repeat(200))
                .unwrap_err()
                .code(),
            "language_too_long"
        );
    }

    #[test]
    fn accessors_and_serde() {
        let fr = LanguageCode::french();
        assert_eq!(fr.as_str(), "fr");
        assert!(fr.is_french());
        assert_eq!(fr.name_fr(), Some("Français"));
        assert_eq!(LanguageCode::parse("ig").unwrap().name_fr(), None);
        let l: LanguageCode = serde_json::from_str("\"Arabe\"").unwrap();
        assert_eq!(serde_json::to_string(&l).unwrap(), "\"ar\"");
        assert!(serde_json::from_str::<LanguageCode>("\"klingon\"").is_err());
        assert_eq!("LSF".parse::<LanguageCode>().unwrap().to_string(), "fsl");
    }

    proptest! {
        /// The one-word path answers as the general path does, for words, names,
        /// list words, separators and spaces in any order.
        #[test]
        fn one_word_cells_parse_as_lists_do(
            parts in proptest::collection::vec(prop_oneof![
                Just("fr"), Just("ar"), Just("Arabe"), Just("français"), Just("FR"),
                Just("xx"), Just("et"), Just("ou"), Just("langue"), Just("des"),
                Just("signes"), Just("créole"), Just(" "), Just("\u{a0}"), Just(","),
                Just("/"), Just("("), Just(")"), Just("\n"), Just("-"), Just("fr-FR"),
            ], 0..4)
        ) {
            let cell = parts.concat();
            prop_assert_eq!(LanguageCode::parse_list(&cell), LanguageCode::parse_words(&cell));
        }

        #[test]
        fn codes_round_trip(i in 0usize..183, upper in any::<bool>()) {
            let c = ISO_639_1.split(' ').nth(i).unwrap();
            let raw = if upper { c.to_uppercase() } else { c.to_owned() };
            let parsed = LanguageCode::parse(&raw).unwrap();
            prop_assert_eq!(parsed.as_str(), c);
            prop_assert_eq!(LanguageCode::parse(parsed.as_str()).unwrap(), parsed);
        }

        #[test]
        fn lists_round_trip(idx in proptest::collection::vec(0usize..LANGUAGES.len(), 0..6), sep in prop_oneof![Just(", "), Just(";"), Just(" / "), Just(" et ")]) {
            let names: Vec<&str> = idx.iter().map(|&i| LANGUAGES[i].fr).collect();
            let parsed = LanguageCode::parse_list(&names.join(sep)).unwrap();
            let mut want: Vec<&str> = Vec::new();
            for &i in &idx {
                if !want.contains(&LANGUAGES[i].code) { want.push(LANGUAGES[i].code); }
            }
            prop_assert_eq!(parsed.iter().map(|c| c.as_str()).collect::<Vec<_>>(), want);
        }

        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = LanguageCode::parse(&s);
            let _ = LanguageCode::parse_list(&s);
        }
    }
}
