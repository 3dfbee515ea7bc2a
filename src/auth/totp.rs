//! The second factor of coordinators and admins: time-based one-time codes (RFC 6238,
//! 6 digits, 30-second steps, SHA-1 as every authenticator app reads it), with a code
//! accepted at most once, and the short-lived signed cookie that carries a login between
//! the password and the code.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Shown in authenticator apps.
pub const ISSUER: &str = "lien";
/// A password-checked login waits this long for its code.
pub const PENDING_LIFETIME_SECONDS: i64 = 5 * 60;
pub const PENDING_COOKIE: &str = "lien_mfa";

/// A fresh secret of 160 random bits, in base32 as apps and the database keep it.
pub fn new_secret() -> String {
    let bytes: [u8; 20] = rand::random();
    Secret::from(bytes).to_base32()
}

fn totp(secret_base32: &str, account: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret_base32).ok()?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(ISSUER))
        .build()
        .ok()
}

/// The `otpauth://` address an authenticator app scans.
pub fn otpauth_url(secret_base32: &str, account: &str) -> Option<String> {
    totp(secret_base32, account)?.to_url().ok()
}

/// The QR code of `text` as an inline SVG image (no script, no external file).
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

/// The secret grouped by four for typing by hand.
pub fn grouped(secret_base32: &str) -> String {
    secret_base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The step a code is valid for at `unix_time` (one step of clock drift either way), if
/// that step is later than the last one accepted: a code works once.
pub fn check(
    secret_base32: &str,
    code: &str,
    unix_time: i64,
    last_step: Option<i64>,
) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret_base32, "check")?;
    let step = totp.check(&code, u64::try_from(unix_time).ok()?)?;
    let step = i64::try_from(step).ok()?;
    match last_step {
        Some(last) if step <= last => None,
        _ => Some(step),
    }
}

/// The code of `secret_base32` at `unix_time` (for tests and the command line).
pub fn code_at(secret_base32: &str, unix_time: i64) -> Option<String> {
    Some(
        totp(secret_base32, "code")?
            .generate(u64::try_from(unix_time).ok()?)
            .to_string(),
    )
}

fn pending_mac(secret: &[u8], user_id: i64, expires: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(format!("mfa:{user_id}:{expires}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The cookie value of a login waiting for its code: `user.expires.mac`.
pub fn pending_token(secret: &[u8], user_id: i64, now: i64) -> String {
    let expires = now + PENDING_LIFETIME_SECONDS;
    format!(
        "{user_id}.{expires}.{}",
        pending_mac(secret, user_id, expires)
    )
}

/// The user of a pending login, if the cookie is genuine and not expired.
pub fn pending_user(secret: &[u8], token: &str, now: i64) -> Option<i64> {
    use subtle::ConstantTimeEq;
    let mut parts = token.splitn(3, '.');
    let user_id: i64 = parts.next()?.parse().ok()?;
    let expires: i64 = parts.next()?.parse().ok()?;
    let mac = parts.next()?;
    let expected = pending_mac(secret, user_id, expires);
    let genuine: bool = expected.as_bytes().ct_eq(mac.as_bytes()).into();
    (genuine && now < expires).then_some(user_id)
}

/// The CSRF token of the code form: bound to the pending cookie.
pub fn pending_csrf(secret: &[u8], token: &str) -> String {
    super::csrf_token(secret, &format!("mfa:{token}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_vector() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", T = 59 → 94287082
        // (8 digits); its last 6 digits are the 6-digit code.
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
        assert_eq!(code_at(&secret, 1_111_111_109).unwrap(), "081804");
    }

    #[test]
    fn a_code_works_once_and_within_a_step_of_drift() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&secret, now).unwrap();
        let step = check(&secret, &code, now, None).expect("valid now");
        assert_eq!(step, now / 30);
        assert_eq!(check(&secret, &code, now, Some(step)), None, "replayed");
        assert_eq!(check(&secret, &code, now + 30, None), Some(step), "drift");
        assert_eq!(check(&secret, &code, now + 90, None), None, "too old");
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(check(&secret, &spaced, now, None), Some(step));
        assert_eq!(check(&secret, "12345", now, None), None);
        assert_eq!(check(&secret, "abcdef", now, None), None);
        assert_eq!(check("not base32!", &code, now, None), None);
    }

    #[test]
    fn enrolment_material() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        let url = otpauth_url(&secret, "coord@cd80.fr").unwrap();
        assert!(
            url.starts_with("otpauth://totp/lien:coord%40cd80.fr?"),
            "{url}"
        );
        assert!(url.contains(&format!("secret={secret}")));
        let svg = qr_svg(&url).unwrap();
        assert!(svg.contains("<svg") && !svg.contains("<script"));
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }

    #[test]
    fn pending_logins_are_signed_and_expire() {
        let key = [3u8; 32];
        let token = pending_token(&key, 42, 1000);
        assert_eq!(pending_user(&key, &token, 1000), Some(42));
        assert_eq!(
            pending_user(&key, &token, 1000 + PENDING_LIFETIME_SECONDS),
            None
        );
        assert_eq!(pending_user(&[4u8; 32], &token, 1000), None);
        let forged = token.replacen("42.", "43.", 1);
        assert_eq!(pending_user(&key, &forged, 1000), None);
        assert_eq!(pending_user(&key, "garbage", 1000), None);
        assert_ne!(pending_csrf(&key, &token), pending_csrf(&key, "other"));
    }
}
