//! The command line of SPEC section 3, parsed with clap.

use std::path::PathBuf;

use clap::builder::RangedU64ValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};
use usage_core::Month;
use usage_sandbox::SandboxConfig;

/// Collect every customer company's monthly ESET and GravityZone usage for billing.
///
/// Credentials come from the environment (ESET_MSP_USERNAME, ESET_MSP_PASSWORD,
/// GRAVITYZONE_API_KEY, and the *_API_URL variables) or the config file, never from arguments.
/// Every company a vendor names (GravityZone company folders included) ends in the records, the
/// failures, or the lists of companies without a monthly license or without usage of their own.
/// Exit status: 0 everything collected; 3 partial (failures listed); 1 a vendor unusable as a
/// whole (the other vendor's data still written) or nothing usable (bad configuration,
/// credentials or input); 2 bad arguments; 4 (drift only) the recorded answers differ from the
/// schemas.
#[derive(Debug, Parser)]
#[command(name = "msp-usage", version, about, long_about)]
pub(crate) struct Cli {
    /// More log output on standard error (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
    /// Config file (default: msp-usage.toml in the user's config directory). Environment
    /// variables win over it.
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Collect the month's usage of every company and write it to standard output.
    Collect(CollectArgs),
    /// Print each vendor's company tree.
    Companies(CompaniesArgs),
    /// Print the JSON Schema of one usage record (same as schemas/usage-record.json).
    Schema,
    /// Serve the emulator of both vendor APIs on loopback, in the foreground, until interrupted.
    Sandbox(SandboxArgs),
    /// Report how the answers recorded with `collect --record DIR` differ from schemas/
    /// (exit 0: no drift, 4: drift found, 1: error).
    Drift(DriftArgs),
}

/// Which vendors to query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum VendorArg {
    /// ESET MSP Administrator 2.
    Eset,
    /// Bitdefender GravityZone.
    Bitdefender,
    /// Every vendor.
    All,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// A human-readable table with totals.
    Table,
    /// One JSON object: month, vendors, records, failures, without_monthly_license, without_usage.
    Json,
    /// One record per line.
    Ndjson,
    /// A header row and one row per record.
    Csv,
}

/// Which ESET report family to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum EsetReportArg {
    /// UsageReport/*/categories.
    Categories,
    /// UsageReport/*/products.
    Products,
}

/// Options shared by the commands that talk to the vendors.
#[derive(Debug, Args)]
pub(crate) struct VendorOptions {
    /// Vendors to query (default: every vendor whose credentials are configured; with --sandbox: all).
    #[arg(long, value_enum)]
    pub(crate) vendor: Option<VendorArg>,
    /// Output format (default: table on a terminal, else json).
    #[arg(long, value_enum)]
    pub(crate) format: Option<Format>,
    /// Run against the embedded emulator of both vendor APIs, with its demo credentials.
    #[arg(long)]
    pub(crate) sandbox: bool,
}

/// `msp-usage collect`.
#[derive(Debug, Args)]
pub(crate) struct CollectArgs {
    /// The month, YYYY-MM (default: the last closed calendar month).
    #[arg(long, value_name = "YYYY-MM")]
    pub(crate) month: Option<Month>,
    /// Only these companies (vendor company ids; repeatable).
    #[arg(long = "company", value_name = "ID")]
    pub(crate) companies: Vec<String>,
    /// ESET report family.
    #[arg(long, value_enum, default_value = "categories")]
    pub(crate) eset_report: EsetReportArg,
    /// Also collect GravityZone usage per product type (records with product_type set).
    #[arg(long)]
    pub(crate) product_types: bool,
    /// Write the data to this file instead of standard output (checked before any vendor is
    /// called, replaced whole or not at all; without --format, its extension picks the format).
    #[arg(long, value_name = "PATH")]
    pub(crate) output: Option<PathBuf>,
    /// Leave records whose quantity is zero out of the output (totals are unchanged).
    #[arg(long)]
    pub(crate) skip_zero: bool,
    /// Table: one row per company, product and license type with every metric, instead of one
    /// row per company and vendor.
    #[arg(long)]
    pub(crate) detail: bool,
    /// CSV: start with a UTF-8 byte order mark, so spreadsheets read accented names right.
    #[arg(long)]
    pub(crate) csv_bom: bool,
    /// CSV: the field separator (`;` for spreadsheets that use a decimal comma).
    #[arg(long, value_enum, default_value = ",", value_name = ",|;|tab")]
    pub(crate) csv_delimiter: CsvDelimiter,
    /// Also keep every raw vendor answer of the run in DIR (one file per call and page, plus
    /// DIR/index.json); passwords, API keys and tokens are never written.
    #[arg(long, value_name = "DIR", conflicts_with = "replay")]
    pub(crate) record: Option<PathBuf>,
    /// Run the same collection from a directory written by --record, with no network
    /// (the month defaults to the recorded one).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["record", "sandbox"])]
    pub(crate) replay: Option<PathBuf>,
    /// Vendor selection, format and sandbox.
    #[command(flatten)]
    pub(crate) vendors: VendorOptions,
}

/// The CSV field separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CsvDelimiter {
    /// `,` (the default).
    #[value(name = ",")]
    Comma,
    /// `;`, what spreadsheets with a decimal comma expect.
    #[value(name = ";")]
    Semicolon,
    /// A tab.
    #[value(name = "tab")]
    Tab,
}

impl CsvDelimiter {
    /// The byte written between fields.
    pub(crate) fn byte(self) -> u8 {
        match self {
            CsvDelimiter::Comma => b',',
            CsvDelimiter::Semicolon => b';',
            CsvDelimiter::Tab => b'\t',
        }
    }
}

/// Output formats of `drift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DriftFormat {
    /// A readable summary.
    Table,
    /// The report as one JSON object.
    Json,
}

/// `msp-usage drift`.
#[derive(Debug, Args)]
pub(crate) struct DriftArgs {
    /// A directory written by `collect --record`.
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: DriftFormat,
}

/// `msp-usage companies`.
#[derive(Debug, Args)]
pub(crate) struct CompaniesArgs {
    /// Vendor selection, format and sandbox.
    #[command(flatten)]
    pub(crate) vendors: VendorOptions,
}

/// `msp-usage sandbox`: the emulator's knobs, all off by default.
#[derive(Debug, Args)]
pub(crate) struct SandboxArgs {
    /// Port on 127.0.0.1 (default: a free one).
    #[arg(long, default_value_t = 0)]
    pub(crate) port: u16,
    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub(crate) latency_ms: u64,
    /// Share of requests answered with an injected fault (429, 500, 503, cut-off body, slow answer), 0..1.
    #[arg(long, default_value_t = 0.0)]
    pub(crate) fail_rate: f64,
    /// Seed of the dataset.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// ESET companies below the MSP's own, to try a large MSP: managed MSPs with about 28
    /// customers each (the last one without licenses) and 4 direct customers; 8 to 100000.
    #[arg(
        long,
        value_name = "N",
        default_value_t = SandboxConfig::DEFAULT_ESET_COMPANIES,
        value_parser = company_count(SandboxConfig::MIN_ESET_COMPANIES),
    )]
    pub(crate) eset_companies: usize,
    /// GravityZone companies, the partner's own included: sub-partners with about 12 customers
    /// each, 5 direct customers, two company folders; 10 to 100000.
    #[arg(
        long,
        value_name = "N",
        default_value_t = SandboxConfig::DEFAULT_GZ_COMPANIES,
        value_parser = company_count(SandboxConfig::MIN_GZ_COMPANIES),
    )]
    pub(crate) gz_companies: usize,
    /// Seed of the fault injection.
    #[arg(long, default_value_t = 7)]
    pub(crate) fault_seed: u64,
    /// Lifetime of ESET access tokens, in seconds.
    #[arg(long, default_value_t = 60)]
    pub(crate) token_lifetime_secs: u64,
    /// Enforce GravityZone's licensing rate limit (5/s with a queue of 5, then 429).
    #[arg(long)]
    pub(crate) rate_limit: bool,
    /// Answer every usage call for this company id with a server error.
    #[arg(long, value_name = "ID")]
    pub(crate) fail_company: Option<String>,
    /// How slow an injected slow answer is, in milliseconds.
    #[arg(long, default_value_t = 35_000)]
    pub(crate) slow_ms: u64,
    /// Answer with undocumented fields and one changed type, as a vendor changing its API
    /// would (to try `collect --record` and `drift`).
    #[arg(long)]
    pub(crate) drift: bool,
}

/// A sandbox company count from `min` to [`SandboxConfig::MAX_COMPANIES`] (a usage error
/// outside).
fn company_count(min: usize) -> RangedU64ValueParser<usize> {
    let max = SandboxConfig::MAX_COMPANIES;
    RangedU64ValueParser::new()
        .range(u64::try_from(min).unwrap_or(u64::MAX)..=u64::try_from(max).unwrap_or(u64::MAX))
}
