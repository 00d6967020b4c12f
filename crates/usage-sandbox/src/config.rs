//! The sandbox's settings: the dataset seed and sizes and the knobs (latency, token lifetime,
//! rate limiting, fault injection, a permanently failing company, vendor drift), all off by
//! default.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::shape::{self, SizeError};

/// Settings of one sandbox. Every knob is off by default, so `SandboxConfig::default()` is a
/// well-behaved vendor with the dataset of seed 42 in its default sizes.
///
/// The fields are public so a command line can map its flags onto them
/// (`SandboxConfig { seed, ..SandboxConfig::default() }`); the `with_*` methods do the same in a
/// builder style.
#[derive(Clone, Debug, PartialEq)]
pub struct SandboxConfig {
    /// Seed of the dataset (company trees, names, ids and usage). Default 42.
    pub seed: u64,
    /// ESET companies below the API user's own company (the root, which is not counted).
    /// Default [`DEFAULT_ESET_COMPANIES`](Self::DEFAULT_ESET_COMPANIES) (150), exactly the tree
    /// the sandbox has always served. Other sizes keep its shape with exactly this many
    /// companies: managed MSPs (type 1006) with about 28 customers (1007) each, 4 customers
    /// directly under the root, and the last managed MSP without licenses of its own (so no
    /// usage report lists it); 10,000 gives 344 managed MSPs. From
    /// [`MIN_ESET_COMPANIES`](Self::MIN_ESET_COMPANIES) (8: two managed MSPs with a customer
    /// each) to [`MAX_COMPANIES`](Self::MAX_COMPANIES); a size outside that range is refused
    /// ([`SizeError`], [`Sandbox::start`](crate::Sandbox::start) fails with
    /// [`InvalidInput`](std::io::ErrorKind::InvalidInput)), never adjusted.
    pub eset_companies: usize,
    /// GravityZone companies, the API key's own company (the root) included. Default
    /// [`DEFAULT_GZ_COMPANIES`](Self::DEFAULT_GZ_COMPANIES) (60), exactly the tree the sandbox
    /// has always served. Other sizes keep its shape with exactly this many companies:
    /// sub-partners (type 0) with about 12 customers (type 1) each, 5 customers directly under
    /// the root, the same two company folders (three of the root's customers and the last
    /// sub-partner inside them) and one customer without a monthly license; 1,000 gives 76
    /// sub-partners. From [`MIN_GZ_COMPANIES`](Self::MIN_GZ_COMPANIES) (10: the root, two
    /// sub-partners with a customer each and the 5 direct customers) to
    /// [`MAX_COMPANIES`](Self::MAX_COMPANIES); a size outside that range is refused, as for
    /// [`eset_companies`](Self::eset_companies).
    pub gz_companies: usize,
    /// Delay added before every answer, of either vendor. Default zero.
    pub latency: Duration,
    /// Lifetime of an ESET access token (its `exp` minus its `iat`); requests with an expired
    /// token get 401. Default 60 s, as in ESET's sample token. Zero gives tokens that are already
    /// expired when issued.
    pub eset_token_lifetime: Duration,
    /// Maximum age of an ESET API session: after it, Token/Renew answers 401 and a new Token/Get is
    /// needed; no access token outlives its session. Default 30 minutes (ESET's documented limit).
    pub eset_session_lifetime: Duration,
    /// Enforce GravityZone's licensing rate limit: per API key, 5 requests per second with a queue
    /// of 5 waiting requests, beyond that HTTP 429 with `Retry-After` and JSON-RPC error -32003.
    /// Applies to `getMonthlyUsage`, `getMonthlyUsagePerProductType` and `getLicenseInfo`.
    /// Default off.
    pub rate_limit: bool,
    /// Share of requests (0..=1) answered with an injected fault, one of [`fault_kinds`](Self::fault_kinds).
    /// Whether request number *n* is hit, and by which fault, is a pure function of
    /// (`fault_seed`, *n*); requests are numbered from 0 in arrival order over both vendors,
    /// leaving out the ESET token calls unless [`fault_token_requests`](Self::fault_token_requests)
    /// is set. Values outside 0..=1 are clamped (NaN counts as 0). Default 0.
    pub fault_rate: f64,
    /// Seed of the fault injection. Default 0.
    pub fault_seed: u64,
    /// The faults to draw from when a request is hit. Default: all of them.
    pub fault_kinds: Vec<FaultKind>,
    /// Let faults hit ESET's Token/Get, Token/Renew and Token/Check too. Default false: a client
    /// can always log in, and the faults land on the calls it has to retry.
    pub fault_token_requests: bool,
    /// A company id (of either vendor) whose usage calls always fail with HTTP 500: GravityZone
    /// licensing calls naming it, ESET Monthly/Daily reports of it, SelectedCompanies reports
    /// that include it, and the AllCompanies page that holds it (one bad row takes its page
    /// down). Company listings are unaffected. Default none.
    pub fail_company: Option<String>,
    /// How long a [`FaultKind::SlowResponse`] takes; meant to exceed the client's timeout.
    /// Default 35 s (clients default to 30 s).
    pub slow_response: Duration,
    /// Answer every ESET request with 503 `{"code": 99, "subCode": 2}` (API maintenance).
    /// Default false.
    pub eset_maintenance: bool,
    /// Vendor drift: answer as a vendor whose payloads moved away from the documentation, so a
    /// strict check of recorded bodies against the schemas (`msp-usage drift`) finds something.
    /// Default false. When on, exactly these answers change (JSON paths; constants in
    /// [`drift`](crate::drift)):
    ///
    /// 1. ESET `UsageReport/{AllCompanies, SelectedCompanies, Monthly, Daily}/{categories,
    ///    products}` (all eight): `companies[*].resellerId` is added, a GUID-shaped string
    ///    ([`Dataset::drift_reseller_id`](crate::Dataset::drift_reseller_id), the same for every
    ///    company), and `companies[*].categories[*].billingGroup` /
    ///    `companies[*].products[*].billingGroup` is added, always `"standard"`.
    /// 2. ESET `User/Current`: `mfaMethod` is added at the top level, always `"authenticator"`.
    /// 3. GravityZone `licensing.getMonthlyUsage`, when `result` is an object (never the `0`
    ///    answer of the company without a monthly license): `result.aiSecurityMonthlyUsage` is
    ///    added, a small integer (1 to 12), an undocumented counter clients must keep.
    /// 4. The one changed type: GravityZone `licensing.getMonthlyUsage` of
    ///    [`Dataset::drift_type_change_company`](crate::Dataset::drift_type_change_company)
    ///    (object answers) gives `result.sveVdiMonthlyUsage` as a JSON string holding the number's
    ///    text (`"12.5"` instead of `12.5`).
    ///
    /// Every other answer (tokens, Company/Children and Descendants, getMonthlyUsagePerProductType,
    /// getLicenseInfo, getCompaniesList, getCompanyDetails, every error) stays byte for byte what
    /// it is with drift off, and drift never changes the value of an existing field.
    pub drift: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            eset_companies: Self::DEFAULT_ESET_COMPANIES,
            gz_companies: Self::DEFAULT_GZ_COMPANIES,
            latency: Duration::ZERO,
            eset_token_lifetime: Duration::from_secs(60),
            eset_session_lifetime: Duration::from_secs(30 * 60),
            rate_limit: false,
            fault_rate: 0.0,
            fault_seed: 0,
            fault_kinds: FaultKind::ALL.to_vec(),
            fault_token_requests: false,
            fail_company: None,
            slow_response: Duration::from_secs(35),
            eset_maintenance: false,
            drift: false,
        }
    }
}

impl SandboxConfig {
    /// The default of [`eset_companies`](Self::eset_companies): 150.
    pub const DEFAULT_ESET_COMPANIES: usize = shape::DEFAULT_ESET;
    /// The default of [`gz_companies`](Self::gz_companies): 60.
    pub const DEFAULT_GZ_COMPANIES: usize = shape::DEFAULT_GZ;
    /// The smallest [`eset_companies`](Self::eset_companies): 8.
    pub const MIN_ESET_COMPANIES: usize = shape::MIN_ESET;
    /// The smallest [`gz_companies`](Self::gz_companies): 10.
    pub const MIN_GZ_COMPANIES: usize = shape::MIN_GZ;
    /// The largest [`eset_companies`](Self::eset_companies) and
    /// [`gz_companies`](Self::gz_companies): 100,000.
    pub const MAX_COMPANIES: usize = shape::MAX_COMPANIES;

    /// Checks the settings a sandbox cannot start with (today: the dataset sizes).
    ///
    /// # Errors
    /// The first dataset size out of range.
    pub fn validate(&self) -> Result<(), SizeError> {
        SizeError::check(self.eset_companies, self.gz_companies)
    }

    /// Sets the dataset seed.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the number of ESET companies below the root (see
    /// [`eset_companies`](Self::eset_companies)).
    #[must_use]
    pub fn with_eset_companies(mut self, companies: usize) -> Self {
        self.eset_companies = companies;
        self
    }

    /// Sets the number of GravityZone companies, the root included (see
    /// [`gz_companies`](Self::gz_companies)).
    #[must_use]
    pub fn with_gz_companies(mut self, companies: usize) -> Self {
        self.gz_companies = companies;
        self
    }

    /// Sets the delay added before every answer.
    #[must_use]
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Sets the lifetime of ESET access tokens.
    #[must_use]
    pub fn with_eset_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.eset_token_lifetime = lifetime;
        self
    }

    /// Sets the maximum age of an ESET session.
    #[must_use]
    pub fn with_eset_session_lifetime(mut self, lifetime: Duration) -> Self {
        self.eset_session_lifetime = lifetime;
        self
    }

    /// Turns GravityZone's licensing rate limit on or off.
    #[must_use]
    pub fn with_rate_limit(mut self, on: bool) -> Self {
        self.rate_limit = on;
        self
    }

    /// Turns fault injection on: `rate` is the share of requests hit, `seed` makes the choice
    /// reproducible.
    #[must_use]
    pub fn with_faults(mut self, rate: f64, seed: u64) -> Self {
        self.fault_rate = rate;
        self.fault_seed = seed;
        self
    }

    /// Restricts injected faults to these kinds.
    #[must_use]
    pub fn with_fault_kinds(mut self, kinds: impl IntoIterator<Item = FaultKind>) -> Self {
        self.fault_kinds = kinds.into_iter().collect();
        self
    }

    /// Lets faults hit ESET's token calls too.
    #[must_use]
    pub fn with_fault_token_requests(mut self, on: bool) -> Self {
        self.fault_token_requests = on;
        self
    }

    /// Makes every usage call for this company id fail with HTTP 500.
    #[must_use]
    pub fn with_fail_company(mut self, company_id: impl Into<String>) -> Self {
        self.fail_company = Some(company_id.into());
        self
    }

    /// Sets how long an injected slow answer takes.
    #[must_use]
    pub fn with_slow_response(mut self, delay: Duration) -> Self {
        self.slow_response = delay;
        self
    }

    /// Puts the ESET API into maintenance (503 for every request).
    #[must_use]
    pub fn with_eset_maintenance(mut self, on: bool) -> Self {
        self.eset_maintenance = on;
        self
    }

    /// Turns vendor drift on or off (see [`drift`](Self::drift) for exactly what changes).
    #[must_use]
    pub fn with_drift(mut self, on: bool) -> Self {
        self.drift = on;
        self
    }
}

/// One kind of injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FaultKind {
    /// HTTP 429 with `Retry-After: 1` (GravityZone: JSON-RPC error -32003;
    /// ESET: `{"code": 99, "subCode": 6}`).
    TooManyRequests,
    /// HTTP 500 (GravityZone: JSON-RPC error -32000; ESET: `{"code": 99, "subCode": 5}`).
    ServerError,
    /// HTTP 503: ESET's maintenance answer `{"code": 99, "subCode": 2}`; GravityZone: JSON-RPC
    /// error -32000 "Service temporarily unavailable".
    Maintenance,
    /// HTTP 200 whose JSON body is cut off half way (with a matching `Content-Length`), so the
    /// transport succeeds and decoding fails.
    TruncatedBody,
    /// The normal answer, sent only after [`SandboxConfig::slow_response`].
    SlowResponse,
}

impl FaultKind {
    /// Every fault kind, in declaration order.
    pub const ALL: [FaultKind; 5] = [
        FaultKind::TooManyRequests,
        FaultKind::ServerError,
        FaultKind::Maintenance,
        FaultKind::TruncatedBody,
        FaultKind::SlowResponse,
    ];

    /// The name used by [`Display`](fmt::Display) and [`FromStr`]: `429`, `500`, `503`,
    /// `truncated`, `slow`.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::TooManyRequests => "429",
            FaultKind::ServerError => "500",
            FaultKind::Maintenance => "503",
            FaultKind::TruncatedBody => "truncated",
            FaultKind::SlowResponse => "slow",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = ParseFaultKindError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "429" | "too-many-requests" | "rate-limit" => Ok(FaultKind::TooManyRequests),
            "500" | "server-error" => Ok(FaultKind::ServerError),
            "503" | "maintenance" => Ok(FaultKind::Maintenance),
            "truncated" | "cut" => Ok(FaultKind::TruncatedBody),
            "slow" => Ok(FaultKind::SlowResponse),
            _ => Err(ParseFaultKindError(text.to_string())),
        }
    }
}

/// A fault kind name that [`FaultKind::from_str`] does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseFaultKindError(String);

impl fmt::Display for ParseFaultKindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown fault kind `{}`: use 429, 500, 503, truncated or slow",
            self.0
        )
    }
}

impl std::error::Error for ParseFaultKindError {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_all_off() {
        let config = SandboxConfig::default();
        assert_eq!(config.seed, 42);
        assert_eq!(config.latency, Duration::ZERO);
        assert_eq!(config.eset_token_lifetime, Duration::from_secs(60));
        assert!(!config.rate_limit);
        assert!(config.fault_rate.abs() < f64::EPSILON);
        assert!(config.fail_company.is_none());
        assert!(!config.eset_maintenance);
        assert!(!config.drift);
        assert!(SandboxConfig::default().with_drift(true).drift);
    }

    #[test]
    fn fault_kind_names_round_trip() {
        for kind in FaultKind::ALL {
            assert_eq!(kind.name().parse::<FaultKind>(), Ok(kind));
        }
        let error = "teapot".parse::<FaultKind>().unwrap_err();
        assert!(error.to_string().contains("teapot"));
    }

    #[test]
    fn builder_sets_fields() {
        let config = SandboxConfig::default()
            .with_seed(7)
            .with_faults(0.5, 9)
            .with_fault_kinds([FaultKind::ServerError])
            .with_fail_company("x");
        assert_eq!(config.seed, 7);
        assert!((config.fault_rate - 0.5).abs() < f64::EPSILON);
        assert_eq!(config.fault_seed, 9);
        assert_eq!(config.fault_kinds, vec![FaultKind::ServerError]);
        assert_eq!(config.fail_company.as_deref(), Some("x"));
    }
}
