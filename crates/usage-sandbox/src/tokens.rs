//! ESET's token service: JWT-shaped access tokens whose `exp` is enforced, opaque refresh tokens,
//! and sessions with a maximum age.
//!
//! Access tokens look like ESET's (`header.payload.signature`, base64url without padding; claims
//! `iss`, `nbf`, `iat`, `exp`, `aud`, `scope`, `client_id` "Eset.EMA.API", `sub`, plus `sid` and
//! `jti`). The signature is a keyed hash of the sandbox, not RSA: clients read the claims, they
//! do not verify the signature.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Serialize;

use crate::mix::{hash_bytes, mix, mix_all};

/// The `iss` claim (and the prefix of the `aud` resource).
const ISSUER: &str = "https://identity.sandbox.example";
/// The JWT header of every access token.
const HEADER: &str = r#"{"alg":"RS256","kid":"msp-usage-sandbox","typ":"at+jwt"}"#;

/// Why a token or a renewal was refused (every reason is an HTTP 401).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// No `Authorization: Bearer` header.
    Missing,
    /// Not three base64url parts, a bad signature, or unreadable claims.
    Invalid,
    /// `exp` has passed.
    Expired,
    /// The session is older than its maximum age.
    SessionExpired,
    /// The refresh token is unknown or belongs to another session.
    UnknownRefreshToken,
    /// Wrong user name or password.
    BadCredentials,
}

impl AuthError {
    /// The message of the 401 body.
    pub(crate) fn message(self) -> &'static str {
        match self {
            AuthError::Missing => {
                "Authorization required: send 'Authorization: Bearer <accessToken>'."
            }
            AuthError::Invalid => "The access token is not valid.",
            AuthError::Expired => "The access token is expired.",
            AuthError::SessionExpired => {
                "The API session is expired: request a new token with Token/Get."
            }
            AuthError::UnknownRefreshToken => "The refresh token is not valid for this session.",
            AuthError::BadCredentials => "The user name or password is not valid.",
        }
    }
}

/// The answer of Token/Get and Token/Renew.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct TokenPair {
    #[serde(rename = "accessToken")]
    pub(crate) access_token: String,
    #[serde(rename = "refreshToken")]
    pub(crate) refresh_token: String,
}

/// Claims the sandbox reads back from an access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Claims {
    pub(crate) session: String,
    pub(crate) exp: u64,
}

#[derive(Debug)]
struct Session {
    started: u64,
    refresh_tokens: BTreeSet<String>,
}

/// Issues and checks tokens.
#[derive(Debug)]
pub(crate) struct TokenService {
    secret: u64,
    user_id: String,
    token_lifetime: Duration,
    session_lifetime: Duration,
    counter: AtomicU64,
    sessions: Mutex<BTreeMap<String, Session>>,
    issued: Mutex<Vec<String>>,
}

/// Seconds since the Unix epoch, now.
fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl TokenService {
    /// A service for the user `user_id`; `secret_seed` keys the signatures.
    pub(crate) fn new(
        secret_seed: u64,
        user_id: String,
        token_lifetime: Duration,
        session_lifetime: Duration,
    ) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Self {
            secret: mix_all(&[secret_seed, u64::from(nanos), u64::from(std::process::id())]),
            user_id,
            token_lifetime,
            session_lifetime,
            counter: AtomicU64::new(1),
            sessions: Mutex::new(BTreeMap::new()),
            issued: Mutex::new(Vec::new()),
        }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Session>> {
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every access and refresh token issued so far, oldest first.
    pub(crate) fn issued(&self) -> Vec<String> {
        self.issued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn remember(&self, pair: &TokenPair) {
        let mut issued = self
            .issued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        issued.push(pair.access_token.clone());
        issued.push(pair.refresh_token.clone());
    }

    fn next_nonce(&self) -> u64 {
        mix(self.secret, self.counter.fetch_add(1, Ordering::Relaxed))
    }

    fn sign(&self, input: &str) -> String {
        let mut signature = Vec::with_capacity(32);
        for lane in 0..4u64 {
            let part = hash_bytes(mix(self.secret, lane), input.as_bytes());
            signature.extend_from_slice(&part.to_be_bytes());
        }
        URL_SAFE_NO_PAD.encode(signature)
    }

    fn access_token(&self, session: &str, started: u64) -> String {
        let iat = now_secs();
        let exp =
            (iat + self.token_lifetime.as_secs()).min(started + self.session_lifetime.as_secs());
        let claims = serde_json::json!({
            "iss": ISSUER,
            "nbf": iat,
            "iat": iat,
            "exp": exp,
            "aud": [format!("{ISSUER}/resources"), "ema2_api"],
            "scope": ["ema2_api", "offline_access"],
            "client_id": "Eset.EMA.API",
            "sub": self.user_id,
            "sid": session,
            "jti": format!("{:016x}", self.next_nonce()),
        });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(HEADER),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.sign(&input);
        format!("{input}.{signature}")
    }

    fn refresh_token(&self) -> String {
        let bytes: Vec<u8> = (0..6)
            .flat_map(|_| self.next_nonce().to_be_bytes())
            .chain([0u8, 1])
            .collect();
        STANDARD.encode(bytes)
    }

    /// Token/Get with checked credentials: a new session and its first pair of tokens.
    pub(crate) fn login(&self) -> TokenPair {
        let session = format!("{:016x}", self.next_nonce());
        let started = now_secs();
        let refresh_token = self.refresh_token();
        let access_token = self.access_token(&session, started);
        self.sessions().insert(
            session,
            Session {
                started,
                refresh_tokens: BTreeSet::from([refresh_token.clone()]),
            },
        );
        let pair = TokenPair {
            access_token,
            refresh_token,
        };
        self.remember(&pair);
        pair
    }

    /// Reads and checks an access token: signature, claims, expiry and session.
    pub(crate) fn validate(&self, token: &str) -> Result<Claims, AuthError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Invalid);
        };
        if self.sign(&format!("{header}.{payload}")) != signature {
            return Err(AuthError::Invalid);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| AuthError::Invalid)?;
        let claims: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| AuthError::Invalid)?;
        let exp = claims
            .get("exp")
            .and_then(serde_json::Value::as_u64)
            .ok_or(AuthError::Invalid)?;
        let session = claims
            .get("sid")
            .and_then(serde_json::Value::as_str)
            .ok_or(AuthError::Invalid)?
            .to_string();
        if now_secs() >= exp {
            return Err(AuthError::Expired);
        }
        if !self.sessions().contains_key(&session) {
            return Err(AuthError::Invalid);
        }
        Ok(Claims { session, exp })
    }

    /// Whether an access token is currently valid (Token/Check).
    pub(crate) fn check(&self, token: &str) -> bool {
        self.validate(token).is_ok()
    }

    /// Token/Renew: needs a valid bearer token and a refresh token of the same session; returns a
    /// new access token and a new refresh token (earlier refresh tokens of the session stay valid
    /// until the session ends).
    pub(crate) fn renew(
        &self,
        claims: &Claims,
        refresh_token: &str,
    ) -> Result<TokenPair, AuthError> {
        let started = {
            let sessions = self.sessions();
            let session = sessions.get(&claims.session).ok_or(AuthError::Invalid)?;
            if !session.refresh_tokens.contains(refresh_token) {
                return Err(AuthError::UnknownRefreshToken);
            }
            session.started
        };
        if now_secs() >= started + self.session_lifetime.as_secs() {
            return Err(AuthError::SessionExpired);
        }
        let pair = TokenPair {
            access_token: self.access_token(&claims.session, started),
            refresh_token: self.refresh_token(),
        };
        if let Some(session) = self.sessions().get_mut(&claims.session) {
            session.refresh_tokens.insert(pair.refresh_token.clone());
        }
        self.remember(&pair);
        Ok(pair)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(seed: u64, lifetime: u64) -> TokenService {
        TokenService::new(
            seed,
            "user".into(),
            Duration::from_secs(lifetime),
            Duration::from_secs(1800),
        )
    }

    #[test]
    fn a_fresh_token_is_valid_and_renewable() {
        let tokens = service(1, 60);
        let pair = tokens.login();
        let claims = tokens.validate(&pair.access_token);
        assert!(claims.is_ok());
        let claims = claims.unwrap_or_else(|_| unreachable!());
        let renewed = tokens.renew(&claims, &pair.refresh_token);
        assert!(renewed.is_ok());
        let renewed = renewed.unwrap_or_else(|_| unreachable!());
        assert_ne!(renewed.access_token, pair.access_token);
        assert_ne!(renewed.refresh_token, pair.refresh_token);
        assert!(tokens.check(&renewed.access_token));
        assert_eq!(tokens.issued().len(), 4);
        assert!(matches!(
            tokens.renew(&claims, "nope"),
            Err(AuthError::UnknownRefreshToken)
        ));
    }

    #[test]
    fn zero_lifetime_tokens_are_expired_and_forgeries_invalid() {
        let tokens = service(1, 0);
        let pair = tokens.login();
        assert_eq!(tokens.validate(&pair.access_token), Err(AuthError::Expired));
        assert!(!tokens.check(&pair.access_token));
        let other = service(2, 60);
        assert_eq!(other.validate(&pair.access_token), Err(AuthError::Invalid));
        assert_eq!(other.validate("a.b"), Err(AuthError::Invalid));
    }
}
