//! Accounts and sessions: password rules and hashing (argon2id), session tokens, CSRF
//! tokens. Pure functions and types; the store keeps users and sessions, the web layer
//! reads cookies.
//!
//! Rules follow OWASP ASVS 4.0 level 2 (V2–V4): passwords of at least 12 characters with
//! no composition rules, argon2id, server-side sessions identified by a random token of
//! 256 bits stored only as its SHA-256, 30 minutes idle / 12 hours absolute expiry, a
//! new session at every login, and the same answer for an unknown email and a wrong
//! password.

pub mod totp;

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::Duration;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// A session ends after this long without a request.
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
/// A session ends this long after login, whatever happens.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);
pub const SESSION_COOKIE: &str = "lien_session";

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A password that meets the rules: 12 to 128 characters, anything allowed.
#[derive(Clone)]
pub struct Password(SecretString);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("a password has at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("a password has at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
}

impl PasswordError {
    pub fn message_fr(&self) -> String {
        match self {
            Self::TooShort => format!(
                "Le mot de passe doit compter au moins {MIN_PASSWORD_CHARS} caractères ; une phrase facile à retenir convient très bien."
            ),
            Self::TooLong => format!("Le mot de passe ne peut dépasser {MAX_PASSWORD_CHARS} caractères."),
        }
    }
}

impl Password {
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        let n = raw.chars().count();
        if n < MIN_PASSWORD_CHARS {
            return Err(PasswordError::TooShort);
        }
        if n > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(SecretString::from(raw.to_string())))
    }

    /// A random password of 20 characters from an alphabet without look-alikes, for
    /// accounts created from the command line.
    pub fn generate() -> Self {
        use rand::Rng;
        const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut rng = rand::rng();
        let s: String = (0..20)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect();
        Self(SecretString::from(s))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The argon2id hash (PHC string) to store.
    pub fn hash(&self) -> String {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(self.expose().as_bytes(), &salt)
            .expect("argon2 with default parameters")
            .to_string()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

/// Checks `candidate` against a stored hash. With no hash (unknown email, or an
/// account without password) a dummy hash is checked anyway, so that both cases take
/// the same time as a wrong password.
pub fn verify_password(stored: Option<&str>, candidate: &str) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| {
        Password::parse("dummy password for timing")
            .expect("long enough")
            .hash()
    });
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(candidate.as_bytes(), &parsed)
        .is_ok();
    ok && real
}

/// A fresh session token (256 random bits, hex) and the hash stored for it.
pub fn new_session_token() -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// What the database keeps of a session token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token of a session: an HMAC of the session's hash under the server key, so
/// it needs no storage and dies with the session.
pub fn csrf_token(secret: &[u8], session_hash: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"csrf:");
    mac.update(session_hash.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Compares two strings in constant time (for tokens).
pub fn constant_time_eq(expected: &str, submitted: &str) -> bool {
    use subtle::ConstantTimeEq;
    expected.as_bytes().ct_eq(submitted.as_bytes()).into()
}

/// Compares a submitted CSRF token with the expected one in constant time.
pub fn csrf_matches(secret: &[u8], session_hash: &str, submitted: &str) -> bool {
    use subtle::ConstantTimeEq;
    let expected = csrf_token(secret, session_hash);
    expected.as_bytes().ct_eq(submitted.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rules_are_length_only() {
        assert_eq!(
            Password::parse("court").unwrap_err(),
            PasswordError::TooShort
        );
        assert!(Password::parse("onze caract").is_err());
        assert!(Password::parse("douze caract").is_ok());
        assert!(
            Password::parse("aaaaaaaaaaaa").is_ok(),
            "no composition rules"
        );
        assert_eq!(
            Password::parse(&"x".repeat(129)).unwrap_err(),
            PasswordError::TooLong
        );
        assert!(PasswordError::TooShort.message_fr().contains("12"));
    }

    #[test]
    fn hashes_verify_and_differ() {
        let p = Password::parse("une phrase de passe").unwrap();
        let h1 = p.hash();
        let h2 = p.hash();
        assert!(h1.starts_with("$argon2id$"));
        assert_ne!(h1, h2, "salted");
        assert!(verify_password(Some(&h1), "une phrase de passe"));
        assert!(!verify_password(Some(&h1), "une phrase de passE"));
        assert!(!verify_password(None, "une phrase de passe"));
        assert!(!verify_password(Some("not a hash"), "x"));
    }

    #[test]
    fn generated_passwords_are_valid_and_random() {
        let a = Password::generate();
        let b = Password::generate();
        assert_eq!(a.expose().len(), 20);
        assert_ne!(a.expose(), b.expose());
        assert!(Password::parse(a.expose()).is_ok());
    }

    #[test]
    fn tokens_and_csrf() {
        let (token, hash) = new_session_token();
        assert_eq!(token.len(), 64);
        assert_eq!(token_hash(&token), hash);
        let key = [7u8; 32];
        let csrf = csrf_token(&key, &hash);
        assert!(csrf_matches(&key, &hash, &csrf));
        assert!(!csrf_matches(&key, &hash, "nope"));
        assert!(!csrf_matches(&[8u8; 32], &hash, &csrf));
        assert_eq!(
            format!("{:?}", Password::generate()),
            "Password([REDACTED])"
        );
    }
}
