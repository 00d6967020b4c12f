//! The API session: Token/Get, Token/Renew before the access token expires, a fresh login
//! when the session is old or the server refused the token. One lock guards it all, so
//! concurrent requests share one token and never log in in parallel.

use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use tokio::sync::Mutex;
use tokio::time::Instant;
use usage_http::Secrets;
use usage_models::eset::TokenResponse;

use crate::error::EsetError;
use crate::jwt;
use crate::transport::{Call, EsetTransport as Transport};

/// Lifetime assumed for an access token whose expiry cannot be read (ESET documents 60 s).
const UNKNOWN_LIFETIME: Duration = Duration::from_secs(60);

/// Renew no later than this before expiry (or a fifth of the lifetime, if that is shorter).
const RENEW_MARGIN: Duration = Duration::from_secs(10);

/// ESET ends a session 30 minutes after Token/Get; log in afresh a minute before that.
const MAX_SESSION: Duration = Duration::from_secs(29 * 60);

/// Body of Token/Get. Borrowed, so the password is exposed only while it is serialized.
#[derive(Serialize)]
struct TokenGetBody<'a> {
    username: &'a str,
    password: &'a str,
}

/// Body of Token/Renew, borrowed like [`TokenGetBody`].
#[derive(Serialize)]
struct TokenRenewBody<'a> {
    #[serde(rename = "refreshToken")]
    refresh_token: &'a str,
}

/// A token to send, and which session state it came from.
pub(crate) struct Bearer {
    pub(crate) token: SecretString,
    pub(crate) generation: u64,
}

/// The current session.
struct Session {
    access: SecretString,
    refresh: Option<SecretString>,
    /// When Token/Get opened the session.
    started: Instant,
    /// When the access token expires.
    expires_at: Instant,
    /// When to renew (or log in again) instead of using the token.
    renew_at: Instant,
}

#[derive(Default)]
struct State {
    session: Option<Session>,
    /// Bumped on every new access token.
    generation: u64,
}

/// Credentials and session of one client (shared by its clones).
pub(crate) struct Auth {
    pub(crate) username: String,
    password: SecretString,
    state: Mutex<State>,
}

impl Auth {
    pub(crate) fn new(username: String, password: SecretString) -> Self {
        Self {
            username,
            password,
            state: Mutex::new(State::default()),
        }
    }

    /// A valid access token: the current one, a renewed one shortly before it expires, or
    /// one from a fresh login.
    pub(crate) async fn bearer(&self, transport: &Transport) -> Result<Bearer, EsetError> {
        let mut state = self.state.lock().await;
        let now = Instant::now();
        if let Some(session) = &state.session {
            if now < session.renew_at {
                return Ok(Bearer {
                    token: session.access.clone(),
                    generation: state.generation,
                });
            }
            let session_young = now.duration_since(session.started) < MAX_SESSION;
            if session_young
                && now < session.expires_at
                && let Some(refresh) = &session.refresh
            {
                match self.renew(transport, &session.access, refresh).await {
                    Ok(answer) => {
                        let started = session.started;
                        let old_refresh = session.refresh.clone();
                        return Ok(Self::install(
                            transport.http.secrets(),
                            &mut state,
                            answer,
                            started,
                            old_refresh,
                        ));
                    }
                    Err(e) => {
                        tracing::info!(error = %e, "ESET Token/Renew failed; logging in again");
                    }
                }
            }
        }
        self.login(transport, &mut state).await
    }

    /// After a 401 on a token of `generation`: log in afresh, unless another request already
    /// replaced that token.
    pub(crate) async fn relogin(
        &self,
        transport: &Transport,
        generation: u64,
    ) -> Result<(), EsetError> {
        let mut state = self.state.lock().await;
        if state.generation != generation && state.session.is_some() {
            return Ok(());
        }
        tracing::info!("ESET refused the access token; logging in again");
        self.login(transport, &mut state).await.map(|_| ())
    }

    /// Token/Get (retried like any call; a 401 means bad credentials and is final).
    async fn login(&self, transport: &Transport, state: &mut State) -> Result<Bearer, EsetError> {
        state.session = None;
        let call = Call::post(
            "Token/Get",
            &TokenGetBody {
                username: &self.username,
                password: self.password.expose_secret(),
            },
        )?
        .secret();
        let answer = transport
            .with_retries(&call, |attempt| {
                transport.send_once::<TokenResponse>(&call, None, attempt)
            })
            .await
            .map_err(|e| match e {
                EsetError::Http { status: 401, .. } => EsetError::BadCredentials {
                    username: self.username.clone(),
                },
                other => other,
            })?;
        tracing::debug!(user = %self.username, "ESET Token/Get succeeded");
        Ok(Self::install(
            transport.http.secrets(),
            state,
            answer,
            Instant::now(),
            None,
        ))
    }

    /// Token/Renew, once (a failure falls back to a fresh login).
    async fn renew(
        &self,
        transport: &Transport,
        access: &SecretString,
        refresh: &SecretString,
    ) -> Result<TokenResponse, EsetError> {
        let call = Call::post(
            "Token/Renew",
            &TokenRenewBody {
                refresh_token: refresh.expose_secret(),
            },
        )?
        .secret();
        let answer = transport
            .send_once::<TokenResponse>(&call, Some(access), 1)
            .await
            .map_err(|f| *f.error)?;
        tracing::debug!("ESET Token/Renew succeeded");
        Ok(answer)
    }

    /// Stores a Token/Get or Token/Renew answer as the session and returns its token.
    fn install(
        secrets: &Secrets,
        state: &mut State,
        answer: TokenResponse,
        started: Instant,
        old_refresh: Option<SecretString>,
    ) -> Bearer {
        let now = Instant::now();
        let lifetime =
            jwt::token_lifetime(&answer.access_token, jwt::unix_now()).unwrap_or_else(|| {
                tracing::debug!("ESET access token has no readable expiry; assuming 60 s");
                UNKNOWN_LIFETIME
            });
        let margin = RENEW_MARGIN.min(lifetime / 5);
        let expires_at = now + lifetime;
        let renew_at = (expires_at - margin).min(started + MAX_SESSION);
        let access = SecretString::from(answer.access_token);
        let refresh = answer
            .refresh_token
            .filter(|r| !r.is_empty())
            .map(SecretString::from)
            .or(old_refresh);
        // From now on the tokens are scrubbed from every body, error and recording.
        secrets.add(&access);
        if let Some(refresh) = &refresh {
            secrets.add(refresh);
        }
        state.generation = state.generation.wrapping_add(1);
        state.session = Some(Session {
            access: access.clone(),
            refresh,
            started,
            expires_at,
            renew_at,
        });
        tracing::debug!(
            lifetime_ms = u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX),
            "ESET access token installed"
        );
        Bearer {
            token: access,
            generation: state.generation,
        }
    }
}
