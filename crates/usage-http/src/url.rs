//! The one check of a vendor base URL: `https://`, or plain `http://` to this machine only.

use std::net::IpAddr;

use url::Url;

/// Why a base URL was refused; the text says what is wrong with it (never the credentials it
/// may hold) and reads after "the URL `...`".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BaseUrlError(String);

/// The base URL without a trailing slash, if it is usable: an `https://` URL, or a plain
/// `http://` URL whose host is a loopback address (so no password, key or token crosses a
/// network unencrypted), with a host and no user name, password, query or fragment.
pub fn check_base_url(raw: &str) -> Result<String, BaseUrlError> {
    let invalid = |why: String| Err(BaseUrlError(why));
    let url = match Url::parse(raw.trim()) {
        Ok(url) => url,
        Err(e) => return invalid(format!("is not a URL ({e})")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return invalid("must not contain a user name or password".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return invalid("must not have a query or fragment".to_owned());
    }
    let host = url.host_str().unwrap_or_default();
    if host.is_empty() {
        return invalid("has no host".to_owned());
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return invalid(
                "uses plain http:// to a host that is not a loopback address, so credentials \
                 would cross the network unencrypted (use https://)"
                    .to_owned(),
            );
        }
        other => return invalid(format!("has scheme `{other}`; use https://")),
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// `localhost`, `127.x.x.x` or `[::1]`.
fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usable_and_refused_urls() {
        assert_eq!(
            check_base_url("https://mspapi.eset.com/api/")
                .ok()
                .as_deref(),
            Some("https://mspapi.eset.com/api")
        );
        assert_eq!(
            check_base_url("http://127.0.0.1:8080/api").ok().as_deref(),
            Some("http://127.0.0.1:8080/api")
        );
        assert!(check_base_url("http://127.8.9.10/api").is_ok());
        assert!(check_base_url("http://[::1]:8080/api").is_ok());
        assert!(check_base_url("http://localhost/api").is_ok());
        for bad in [
            "http://mspapi.eset.com/api",
            "http://10.0.0.1/api",
            "http://localhost.example.com/api",
            "ftp://127.0.0.1/api",
            "mspapi.eset.com",
            "https://example.com/api?x=1",
            "https://example.com/api#f",
            "not a url",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn credentials_in_a_url_are_refused_and_not_echoed() {
        let error = check_base_url("https://user:hunter2@example.com/api")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("user name or password"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }
}
