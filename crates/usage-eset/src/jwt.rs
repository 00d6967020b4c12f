//! Reading the lifetime of an access token from its JWT claims (no signature check: the token
//! is only ever sent back to the server that issued it).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize;

/// Base64url, with or without padding.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The claims that matter here; times are seconds since the Unix epoch.
#[derive(Debug, Deserialize)]
struct Claims {
    exp: Option<f64>,
    nbf: Option<f64>,
    iat: Option<f64>,
}

/// Seconds since the Unix epoch, by the local clock.
pub(crate) fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// How long `token` stays valid from `now` (Unix seconds), or `None` if that cannot be told
/// (not a JWT, no `exp`, nonsense values).
///
/// The remaining time by the local clock (`exp - now`) is used, but never more than the
/// lifetime the token itself states (`exp - nbf`, else `exp - iat`), so a local clock that is
/// behind the server's cannot stretch it. If the local clock is so far ahead that the token
/// looks expired already, the stated lifetime is used instead.
pub(crate) fn token_lifetime(token: &str, now: f64) -> Option<Duration> {
    let payload = token.split('.').nth(1)?;
    let bytes = BASE64URL.decode(payload).ok()?;
    let claims: Claims = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.exp.filter(|e| e.is_finite())?;
    let stated = claims
        .nbf
        .or(claims.iat)
        .filter(|t| t.is_finite())
        .map(|start| exp - start)
        .filter(|l| *l > 0.0);
    let by_clock = Some(exp - now).filter(|l| *l > 0.0);
    let seconds = match (by_clock, stated) {
        (Some(c), Some(s)) => c.min(s),
        (Some(c), None) => c,
        (None, Some(s)) => s,
        (None, None) => return None,
    };
    // Cap at a day: a longer claim is nonsense for this API and would only delay renewal.
    Duration::try_from_secs_f64(seconds.min(86_400.0)).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn jwt(claims: &str) -> String {
        format!(
            "eyJhbGciOiJub25lIn0.{}.sig",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn remaining_time_by_local_clock() {
        let t = jwt(r#"{"exp":1060,"nbf":1000}"#);
        assert_eq!(token_lifetime(&t, 1030.0), Some(Duration::from_secs(30)));
    }

    #[test]
    fn stated_lifetime_caps_a_slow_local_clock() {
        let t = jwt(r#"{"exp":1060,"nbf":1000}"#);
        assert_eq!(token_lifetime(&t, 900.0), Some(Duration::from_secs(60)));
    }

    #[test]
    fn stated_lifetime_when_local_clock_is_ahead() {
        let t = jwt(r#"{"exp":1060,"iat":1000}"#);
        assert_eq!(token_lifetime(&t, 5000.0), Some(Duration::from_secs(60)));
    }

    #[test]
    fn undecodable_tokens_have_no_lifetime() {
        assert_eq!(token_lifetime("opaque", 0.0), None);
        assert_eq!(token_lifetime("a.!!!.c", 0.0), None);
        assert_eq!(token_lifetime(&jwt(r#"{"sub":"x"}"#), 0.0), None);
        assert_eq!(token_lifetime(&jwt(r#"{"exp":"soon"}"#), 0.0), None);
        assert_eq!(token_lifetime(&jwt(r#"{"exp":10}"#), 20.0), None);
    }

    #[test]
    fn padded_payload_is_accepted() {
        let payload = base64::engine::general_purpose::URL_SAFE.encode(r#"{"exp":100}"#);
        let t = format!("h.{payload}.s");
        assert_eq!(token_lifetime(&t, 40.0), Some(Duration::from_secs(60)));
    }
}
