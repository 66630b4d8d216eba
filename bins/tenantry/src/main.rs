//! The `tenantry` executable: reads its configuration, then runs the chosen command.

use std::process::ExitCode;

use tenantry::cli::Cli;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    match tenantry::run(Cli::parse_for_users()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            log::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}
