//! Configuration: environment variables over the config file over defaults (SPEC section 3).
//!
//! Secrets are read from the environment or the file only, held in `SecretString`, and never
//! printed.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use crate::error::CliError;

/// Default ESET MSP Administrator 2 API base.
pub(crate) const ESET_DEFAULT_URL: &str = "https://mspapi.eset.com/api";
/// Default GravityZone Access URL.
pub(crate) const GRAVITYZONE_DEFAULT_URL: &str = "https://cloud.gravityzone.bitdefender.com/api";
/// Default per-request timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default number of attempts of one request (retries of transient failures included).
const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// ESET settings of a run.
#[derive(Debug, Clone)]
pub(crate) struct EsetSettings {
    /// API base, e.g. `https://mspapi.eset.com/api`.
    pub(crate) url: String,
    /// API user name.
    pub(crate) username: String,
    /// API user password.
    pub(crate) password: SecretString,
}

/// GravityZone settings of a run.
#[derive(Debug, Clone)]
pub(crate) struct GravityZoneSettings {
    /// Access URL, e.g. `https://cloud.gravityzone.bitdefender.com/api`.
    pub(crate) url: String,
    /// API key.
    pub(crate) api_key: SecretString,
}

/// The resolved configuration: a vendor is `Some` when its credentials are complete.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// ESET, when configured.
    pub(crate) eset: Option<EsetSettings>,
    /// GravityZone, when configured.
    pub(crate) gravityzone: Option<GravityZoneSettings>,
    /// Per-request timeout.
    pub(crate) timeout: Duration,
    /// Attempts of one request before its failure is reported (1 = no retry).
    pub(crate) max_attempts: u32,
    /// Where the settings came from, for error messages.
    pub(crate) source: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    eset: FileEset,
    #[serde(default)]
    gravityzone: FileGravityZone,
    timeout_secs: Option<u64>,
    max_attempts: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEset {
    api_url: Option<String>,
    username: Option<String>,
    password: Option<SecretString>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileGravityZone {
    api_url: Option<String>,
    api_key: Option<SecretString>,
}

/// The default config file: `msp-usage.toml` in the user's config directory.
pub(crate) fn default_config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("msp-usage.toml"))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn read_file(path: &Path, explicit: bool) -> Result<FileConfig, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(FileConfig::default());
        }
        Err(e) => {
            return Err(CliError::ConfigFile {
                path: path.display().to_string(),
                reason: e.to_string(),
            });
        }
    };
    toml::from_str(&text).map_err(|e| CliError::ConfigFile {
        path: path.display().to_string(),
        // toml's messages span several lines with a caret; keep the first one.
        reason: e
            .message()
            .lines()
            .next()
            .unwrap_or("invalid TOML")
            .to_string(),
    })
}

/// Reads the configuration: the environment wins over the file, the file over the defaults.
pub(crate) fn load(explicit: Option<&Path>) -> Result<Settings, CliError> {
    let path = explicit.map(Path::to_path_buf).or_else(default_config_path);
    let file = match &path {
        Some(p) => read_file(p, explicit.is_some())?,
        None => FileConfig::default(),
    };
    let source = match &path {
        Some(p) => format!("the environment or {}", p.display()),
        None => "the environment".to_string(),
    };

    let eset_url = env("ESET_MSP_API_URL")
        .or(file.eset.api_url)
        .unwrap_or_else(|| ESET_DEFAULT_URL.to_string());
    let username = env("ESET_MSP_USERNAME").or(file.eset.username);
    let password = env("ESET_MSP_PASSWORD")
        .map(SecretString::from)
        .or(file.eset.password);
    let eset = match (username, password) {
        (Some(username), Some(password)) => {
            check_url("ESET_MSP_API_URL", &eset_url)?;
            Some(EsetSettings {
                url: eset_url,
                username,
                password,
            })
        }
        (None, None) => None,
        (Some(_), None) => {
            return Err(CliError::Config(format!(
                "ESET_MSP_USERNAME is set but ESET_MSP_PASSWORD is not: set both (in {source})"
            )));
        }
        (None, Some(_)) => {
            return Err(CliError::Config(format!(
                "ESET_MSP_PASSWORD is set but ESET_MSP_USERNAME is not: set both (in {source})"
            )));
        }
    };

    let gz_url = env("GRAVITYZONE_API_URL")
        .or(file.gravityzone.api_url)
        .unwrap_or_else(|| GRAVITYZONE_DEFAULT_URL.to_string());
    let gravityzone = match env("GRAVITYZONE_API_KEY")
        .map(SecretString::from)
        .or(file.gravityzone.api_key)
    {
        Some(api_key) => {
            check_url("GRAVITYZONE_API_URL", &gz_url)?;
            Some(GravityZoneSettings {
                url: gz_url,
                api_key,
            })
        }
        None => None,
    };

    let timeout = match env("MSP_USAGE_TIMEOUT_SECS") {
        Some(v) => match v.parse::<u64>() {
            Ok(secs) if secs > 0 => Duration::from_secs(secs),
            _ => {
                return Err(CliError::Config(format!(
                    "MSP_USAGE_TIMEOUT_SECS is `{v}`: give a whole number of seconds, e.g. 30"
                )));
            }
        },
        None => file
            .timeout_secs
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TIMEOUT),
    };

    let max_attempts = match env("MSP_USAGE_MAX_ATTEMPTS") {
        Some(v) => match v.parse::<u32>() {
            Ok(n) if (1..=20).contains(&n) => n,
            _ => {
                return Err(CliError::Config(format!(
                    "MSP_USAGE_MAX_ATTEMPTS is `{v}`: give a whole number from 1 to 20, e.g. 5"
                )));
            }
        },
        None => match file.max_attempts {
            Some(n) if (1..=20).contains(&n) => n,
            Some(n) => {
                return Err(CliError::Config(format!(
                    "max_attempts is {n} in {source}: give a whole number from 1 to 20, e.g. 5"
                )));
            }
            None => DEFAULT_MAX_ATTEMPTS,
        },
    };

    Ok(Settings {
        eset,
        gravityzone,
        timeout,
        max_attempts,
        source,
    })
}

/// Refuses URLs that are not http(s), and plain `http://` to anything but a loopback address.
pub(crate) fn check_url(variable: &'static str, raw: &str) -> Result<(), CliError> {
    let bad = |reason: &str| CliError::Url {
        variable,
        url: raw.to_string(),
        reason: reason.to_string(),
    };
    let url = url::Url::parse(raw).map_err(|e| bad(&format!("not a URL ({e})")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
                Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err(bad(
                    "plain http:// to a non-loopback host would send credentials unencrypted",
                ))
            }
        }
        other => Err(bad(&format!("unsupported scheme `{other}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn http_only_to_loopback() {
        assert!(check_url("X", "https://mspapi.eset.com/api").is_ok());
        assert!(check_url("X", "http://127.0.0.1:8080/api").is_ok());
        assert!(check_url("X", "http://127.9.9.9/api").is_ok());
        assert!(check_url("X", "http://[::1]:80/api").is_ok());
        assert!(check_url("X", "http://localhost/api").is_ok());
        assert!(check_url("X", "http://mspapi.eset.com/api").is_err());
        assert!(check_url("X", "http://10.0.0.1/api").is_err());
        assert!(check_url("X", "ftp://127.0.0.1/api").is_err());
        assert!(check_url("X", "not a url").is_err());
    }
}
