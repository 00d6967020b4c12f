//! The entry point: parse, configure, dispatch, and map the outcome to an exit status.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use clap::error::ErrorKind;
use secrecy::SecretString;
use usage_bitdefender::GravityZoneClient;
use usage_core::{EsetReportKind, Month, MonthStanding, Vendor};
use usage_eset::EsetClient;
use usage_http::TransportSettings as _;

use crate::args::{
    Cli, CollectArgs, Command, CompaniesArgs, DriftArgs, DriftFormat, EsetReportArg, Format,
    VendorArg, VendorOptions,
};
use crate::collect::{Collection, Request, VendorResult};
use crate::config::{self, EsetSettings, GravityZoneSettings, Settings};
use crate::error::{CliError, ExitStatus};
use crate::progress::Progress;
use crate::target::Target;
use crate::view;
use crate::{companies, drift, eset_usage, gz_usage, logging, output, sandbox};

/// Runs `msp-usage` with the process's arguments and returns its exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    logging::init(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            say!("error: cannot start the async runtime: {e}");
            return ExitStatus::Failure.into();
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(status) => status.into(),
        Err(e) => {
            say!("error: {e}");
            ExitStatus::Failure.into()
        }
    }
}

/// Help and version go to standard output with status 0; anything else is one line and status 2.
fn usage_error(e: clap::Error) -> ExitCode {
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitStatus::Usage.into()
        } else {
            ExitStatus::Success.into()
        };
    }
    // clap spreads one error over several lines (message, possible values, usage, hint): keep
    // what explains the error, on one line.
    let text = e.render().to_string();
    let explanation: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    let line = if explanation.is_empty() {
        "error: invalid arguments".to_string()
    } else {
        explanation.join(" ")
    };
    say!("{line} (see `msp-usage --help`)");
    ExitStatus::Usage.into()
}

async fn dispatch(cli: Cli) -> Result<ExitStatus, CliError> {
    match cli.command {
        Command::Schema => {
            let schema = usage_core::record_json_schema();
            let text = serde_json::to_string_pretty(&schema).map_err(|e| CliError::Output {
                target: "standard output".into(),
                reason: e.to_string(),
            })?;
            println!("{text}");
            Ok(ExitStatus::Success)
        }
        Command::Sandbox(args) => {
            sandbox::serve(&args).await?;
            Ok(ExitStatus::Success)
        }
        Command::Collect(args) => collect_command(cli.config.as_deref(), args).await,
        Command::Companies(args) => companies_command(cli.config.as_deref(), args).await,
        Command::Drift(args) => drift_command(&args),
    }
}

fn drift_command(args: &DriftArgs) -> Result<ExitStatus, CliError> {
    let report = drift::check_dir(&args.dir)?;
    write_output(|out| match args.format {
        DriftFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)
        }
        DriftFormat::Table => drift::write_table(out, &report),
    })?;
    Ok(if report.drift {
        ExitStatus::Drift
    } else {
        ExitStatus::Success
    })
}

/// A run's recording of every vendor answer (`--record`).
type Recorder = usage_http::Recorder<Vendor>;
/// A recorded run answered again (`--replay`).
type Replay = usage_http::Replay<Vendor>;

/// Where a run's answers come from and where they go, besides the network.
#[derive(Default)]
struct Hooks {
    /// `--record DIR`.
    record: Option<PathBuf>,
    /// `--replay DIR`, loaded.
    replay: Option<Arc<Replay>>,
}

/// The vendors a run talks to, with built clients.
struct Clients {
    eset: Option<EsetClient>,
    gravityzone: Option<GravityZoneClient>,
}

/// Resolves settings (or starts the sandbox), picks the vendors and builds their clients.
async fn prepare(
    config_path: Option<&Path>,
    options: &VendorOptions,
    hooks: &Hooks,
) -> Result<
    (
        Option<usage_sandbox::Sandbox>,
        Clients,
        Option<Arc<Recorder>>,
    ),
    CliError,
> {
    let settings = match &hooks.replay {
        // A replay needs no configuration: every answer comes from the recording.
        Some(replay) => replay_settings(replay),
        None => config::load(config_path)?,
    };
    let (embedded, settings) = if options.sandbox {
        let (sandbox, settings) = sandbox::start_embedded(&settings).await?;
        (Some(sandbox), settings)
    } else {
        (None, settings)
    };
    let (want_eset, want_gz) = match options.vendor {
        Some(VendorArg::Eset) => (true, false),
        Some(VendorArg::Bitdefender) => (false, true),
        Some(VendorArg::All) => (true, true),
        None => (settings.eset.is_some(), settings.gravityzone.is_some()),
    };
    if !want_eset && !want_gz {
        return Err(CliError::Config(format!(
            "no vendor is configured: set ESET_MSP_USERNAME and ESET_MSP_PASSWORD, and/or GRAVITYZONE_API_KEY (in {}), or try --sandbox",
            settings.source
        )));
    }
    // A vendor with none of its variables set is skipped, but never silently.
    if options.vendor.is_none() && hooks.replay.is_none() {
        if !want_eset {
            tracing::warn!(
                "ESET is not configured (ESET_MSP_USERNAME and ESET_MSP_PASSWORD are not set): skipping it"
            );
        }
        if !want_gz {
            tracing::warn!(
                "GravityZone is not configured (GRAVITYZONE_API_KEY is not set): skipping it"
            );
        }
    }
    let recorder = match &hooks.record {
        Some(dir) => {
            let secrets: Vec<SecretString> = settings
                .eset
                .iter()
                .map(|e| e.password.clone())
                .chain(settings.gravityzone.iter().map(|g| g.api_key.clone()))
                .collect();
            Some(Arc::new(Recorder::create(dir, &secrets)?))
        }
        None => None,
    };
    let eset = if want_eset {
        Some(build_eset(
            &settings,
            recorder.as_ref(),
            hooks.replay.as_ref(),
        )?)
    } else {
        None
    };
    let gravityzone = if want_gz {
        Some(build_gravityzone(
            &settings,
            recorder.as_ref(),
            hooks.replay.as_ref(),
        )?)
    } else {
        None
    };
    Ok((embedded, Clients { eset, gravityzone }, recorder))
}

/// The credentials of a replay: never sent anywhere, and (being scrubbed like any secret) chosen
/// so that they cannot match a word of the recorded answers.
const REPLAY_PLACEHOLDER: &str = "msp-usage-replay-placeholder-0f3c9a7e";

/// Settings of a replay: the vendors the recording holds, with placeholder credentials (no
/// request leaves the process).
fn replay_settings(replay: &Replay) -> Settings {
    Settings {
        eset: replay.has_vendor(Vendor::Eset).then(|| EsetSettings {
            url: config::ESET_DEFAULT_URL.to_string(),
            username: REPLAY_PLACEHOLDER.to_string(),
            password: SecretString::from(REPLAY_PLACEHOLDER),
        }),
        gravityzone: replay
            .has_vendor(Vendor::Bitdefender)
            .then(|| GravityZoneSettings {
                url: config::GRAVITYZONE_DEFAULT_URL.to_string(),
                api_key: SecretString::from(REPLAY_PLACEHOLDER),
            }),
        timeout: std::time::Duration::from_secs(30),
        max_attempts: 5,
        source: "the recording".to_string(),
    }
}

fn build_eset(
    settings: &Settings,
    recorder: Option<&Arc<Recorder>>,
    replay: Option<&Arc<Replay>>,
) -> Result<EsetClient, CliError> {
    let eset = settings.eset.as_ref().ok_or_else(|| {
        CliError::Config(format!(
            "ESET credentials are missing: set ESET_MSP_USERNAME and ESET_MSP_PASSWORD (in {})",
            settings.source
        ))
    })?;
    let mut builder = EsetClient::builder(eset.username.clone(), eset.password.clone())
        .base_url(eset.url.clone())
        .timeout(settings.timeout)
        .max_attempts(settings.max_attempts);
    if let Some(recorder) = recorder {
        builder = builder.observer(recorder.observer(Vendor::Eset));
    }
    if let Some(replay) = replay {
        builder = builder.replay(replay.source(Vendor::Eset));
    }
    builder
        .build()
        .map_err(|e| CliError::Config(format!("ESET: {e}")))
}

fn build_gravityzone(
    settings: &Settings,
    recorder: Option<&Arc<Recorder>>,
    replay: Option<&Arc<Replay>>,
) -> Result<GravityZoneClient, CliError> {
    let gz = settings.gravityzone.as_ref().ok_or_else(|| {
        CliError::Config(format!(
            "GravityZone credentials are missing: set GRAVITYZONE_API_KEY (in {})",
            settings.source
        ))
    })?;
    let mut builder = GravityZoneClient::builder(gz.api_key.clone())
        .base_url(gz.url.clone())
        .timeout(settings.timeout)
        .max_attempts(settings.max_attempts);
    if let Some(recorder) = recorder {
        builder = builder.observer(recorder.observer(Vendor::Bitdefender));
    }
    if let Some(replay) = replay {
        builder = builder.replay(replay.source(Vendor::Bitdefender));
    }
    builder
        .build()
        .map_err(|e| CliError::Config(format!("GravityZone: {e}")))
}

/// The output format: the flag, else table on a terminal and json otherwise.
fn pick_format(flag: Option<Format>, to_file: bool) -> Format {
    flag.unwrap_or_else(|| {
        if !to_file && std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Json
        }
    })
}

async fn collect_command(
    config_path: Option<&Path>,
    args: CollectArgs,
) -> Result<ExitStatus, CliError> {
    let hooks = Hooks {
        record: args.record.clone(),
        replay: match &args.replay {
            Some(dir) => Some(Arc::new(Replay::load(dir)?)),
            None => None,
        },
    };
    let recorded_month = hooks
        .replay
        .as_ref()
        .and_then(|r| r.month().parse::<Month>().ok());
    // A recording answers only the month it was made for: asking it for another would make
    // every request miss (and be retried) and end with nothing. Refused before anything runs.
    if let (Some(dir), Some(asked), Some(replay)) = (&args.replay, args.month, &hooks.replay)
        && recorded_month != Some(asked)
    {
        return Err(CliError::Recording {
            path: dir.display().to_string(),
            reason: format!(
                "this recording holds {}, not {asked}; drop --month or give --month {}",
                replay.month(),
                replay.month()
            ),
        });
    }
    let today = chrono::Local::now().date_naive();
    if let Some(asked) = args.month {
        match asked.standing(today) {
            MonthStanding::Closed => {}
            MonthStanding::Open => say!(
                "warning: {asked} is not over yet (today is {today}): its usage is month-to-date, \
                 not final"
            ),
            MonthStanding::Future => {
                say!(
                    "error: --month {asked} is in the future (today is {today}); give a month \
                     that has begun, e.g. {} (see `msp-usage --help`)",
                    Month::last_closed(today)
                );
                return Ok(ExitStatus::Usage);
            }
        }
    }
    let month = args
        .month
        .or(recorded_month)
        .unwrap_or_else(|| Month::last_closed(today));
    // The output path is checked (a temporary file is made beside it) before any vendor is
    // called; the format follows its extension unless --format says otherwise.
    let target = Target::open(args.output.as_deref())?;
    let format = args
        .vendors
        .format
        .or(target.format_from_extension())
        .unwrap_or_else(|| pick_format(None, false));
    let (embedded, clients, recorder) = prepare(config_path, &args.vendors, &hooks).await?;
    let request = Request {
        month,
        companies: args.companies.iter().cloned().collect::<BTreeSet<_>>(),
        eset_report: match args.eset_report {
            EsetReportArg::Categories => EsetReportKind::Categories,
            EsetReportArg::Products => EsetReportKind::Products,
        },
        product_types: args.product_types,
    };
    tracing::info!(%month, "collecting usage");

    let progress = Progress::new();
    let eset_bar = progress.vendor_bar("ESET");
    let gz_bar = progress.vendor_bar("GravityZone");
    let eset_run = async {
        match &clients.eset {
            Some(client) => Some((
                Vendor::Eset,
                eset_usage::collect(client, &request, &eset_bar).await,
            )),
            None => None,
        }
    };
    let gz_run = async {
        match &clients.gravityzone {
            Some(client) => Some((
                Vendor::Bitdefender,
                gz_usage::collect(client, &request, &gz_bar).await,
            )),
            None => None,
        }
    };
    let (eset_result, gz_result) = futures::join!(eset_run, gz_run);
    eset_bar.finish_and_clear();
    gz_bar.finish_and_clear();
    if let Some(sandbox) = embedded {
        sandbox.shutdown().await;
    }

    if let Some(recorder) = &recorder {
        let count = recorder.finish(&month.to_string())?;
        tracing::info!(count, "recorded the vendors' answers");
    }

    let results: Vec<(Vendor, VendorResult)> = eset_result.into_iter().chain(gz_result).collect();
    let fatal: Vec<String> = results
        .iter()
        .filter_map(|(_, r)| r.fatal.clone())
        .collect();
    if fatal.len() == results.len() {
        return Err(CliError::NothingUsable(fatal.join("; ")));
    }
    let selected: Vec<Vendor> = results.iter().map(|(v, _)| *v).collect();
    let not_configured: Vec<Vendor> = [Vendor::Eset, Vendor::Bitdefender]
        .into_iter()
        .filter(|v| !selected.contains(v) && args.vendors.vendor.is_none())
        .collect();
    let collection = Collection::merge(&request, results, &not_configured);
    let written = target.name();
    let options = output::WriteOptions {
        skip_zero: args.skip_zero,
        csv: output::CsvOptions {
            bom: args.csv_bom,
            delimiter: args.csv_delimiter.byte(),
        },
        detail: args.detail,
        width: if args.output.is_some() {
            view::MAX_WIDTH
        } else {
            view::width()
        },
    };
    target.write(|out| output::write(out, format, &collection, options))?;
    say!(
        "wrote {} records ({} companies) to {written}",
        collection.records.len(),
        collection.companies()
    );
    // In every format, the run ends with one line per failure on standard error, so a CSV or
    // NDJSON user sees which companies are missing.
    for failure in &collection.failures {
        say!("failure: {}", output::failure_line(failure));
    }
    if !fatal.is_empty() {
        // A selected vendor is unusable as a whole: what the other gave is written, and the
        // run says so with exit 1 (`vendors` names which one failed).
        say!(
            "msp-usage: {}; the other vendor's usage is written",
            fatal.join("; ")
        );
        Ok(ExitStatus::Failure)
    } else if collection.failures.is_empty() {
        Ok(ExitStatus::Success)
    } else {
        say!(
            "msp-usage: {} failure(s); the rest of the usage is written and every failure is listed",
            collection.failures.len()
        );
        Ok(ExitStatus::Partial)
    }
}

async fn companies_command(
    config_path: Option<&Path>,
    args: CompaniesArgs,
) -> Result<ExitStatus, CliError> {
    let format = pick_format(args.vendors.format, false);
    let (embedded, clients, _) = prepare(config_path, &args.vendors, &Hooks::default()).await?;
    let eset = async {
        match &clients.eset {
            Some(c) => Some(companies::eset(c).await),
            None => None,
        }
    };
    let gz = async {
        match &clients.gravityzone {
            Some(c) => Some(companies::gravityzone(c).await),
            None => None,
        }
    };
    let (eset, gz) = futures::join!(eset, gz);
    if let Some(sandbox) = embedded {
        sandbox.shutdown().await;
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut tried = 0;
    for result in [eset, gz].into_iter().flatten() {
        tried += 1;
        match result {
            Ok(list) => rows.extend(list),
            Err(e) => errors.push(e),
        }
    }
    if errors.len() == tried {
        return Err(CliError::NothingUsable(errors.join("; ")));
    }
    write_output(|out| companies::write(out, format, &rows))?;
    for e in &errors {
        say!("error: {e}");
    }
    Ok(if errors.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Partial
    })
}

/// Writes to standard output, mapping I/O errors to one clear line.
fn write_output(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), CliError> {
    Target::Stdout.write(write)
}
