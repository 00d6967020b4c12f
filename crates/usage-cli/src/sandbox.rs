//! `msp-usage sandbox` and `--sandbox`: the embedded emulator of both vendor APIs.

use std::time::Duration;

use secrecy::SecretString;
use usage_sandbox::{Sandbox, SandboxConfig};

use crate::args::SandboxArgs;
use crate::config::{EsetSettings, GravityZoneSettings, Settings};
use crate::error::CliError;

/// Starts the emulator with its defaults and returns settings pointing both vendors at it.
pub(crate) async fn start_embedded(configured: &Settings) -> Result<(Sandbox, Settings), CliError> {
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .map_err(|e| CliError::Sandbox(e.to_string()))?;
    let credentials = sandbox.credentials();
    let settings = Settings {
        eset: Some(EsetSettings {
            url: sandbox.eset_base_url(),
            username: credentials.eset_username.clone(),
            password: SecretString::from(credentials.eset_password.clone()),
        }),
        gravityzone: Some(GravityZoneSettings {
            url: sandbox.gravityzone_base_url(),
            api_key: SecretString::from(credentials.gravityzone_api_key.clone()),
        }),
        timeout: configured.timeout,
        max_attempts: configured.max_attempts,
        source: "the embedded sandbox".to_string(),
    };
    Ok((sandbox, settings))
}

/// Serves the emulator in the foreground: prints the `export` lines, then waits for Ctrl-C.
pub(crate) async fn serve(args: &SandboxArgs) -> Result<(), CliError> {
    if !(0.0..=1.0).contains(&args.fail_rate) {
        return Err(CliError::Config(format!(
            "--fail-rate {} is out of range: give a share between 0 and 1, e.g. 0.2",
            args.fail_rate
        )));
    }
    let config = SandboxConfig {
        seed: args.seed,
        eset_companies: args.eset_companies,
        gz_companies: args.gz_companies,
        latency: Duration::from_millis(args.latency_ms),
        eset_token_lifetime: Duration::from_secs(args.token_lifetime_secs.max(1)),
        rate_limit: args.rate_limit,
        fault_rate: args.fail_rate,
        fault_seed: args.fault_seed,
        fail_company: args.fail_company.clone(),
        slow_response: Duration::from_millis(args.slow_ms),
        drift: args.drift,
        ..SandboxConfig::default()
    };
    // The flags' parsers already keep the sizes in range; this names the rule if they did not.
    config
        .validate()
        .map_err(|e| CliError::Config(format!("--eset-companies/--gz-companies: {e}")))?;
    let sandbox = Sandbox::start_on(config, args.port)
        .await
        .map_err(|e| CliError::Sandbox(format!("{e} (is port {} free?)", args.port)))?;
    for (name, value) in sandbox.env_exports() {
        println!("export {name}={value}");
    }
    say!("msp-usage sandbox: serving both vendor APIs; press Ctrl-C to stop");
    let _ = tokio::signal::ctrl_c().await;
    // What was asked of it, per endpoint: handy to check how many calls a client made.
    for (endpoint, count) in sandbox.request_counts() {
        say!("{count:>8}  {endpoint}");
    }
    sandbox.shutdown().await;
    Ok(())
}
