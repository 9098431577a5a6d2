//! The `flashstudio` binary: parses the command line and hands over to the library.

use clap::Parser as _;

/// jemalloc, for every allocation of the process (SQLite's too): it gives freed memory back to
/// the system where glibc's allocator kept it in one arena per thread (`docs/performance.md`,
/// "Memory at a hundred times the data"). Its options are in `.cargo/config.toml`.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = flashstudio::cli::Cli::parse();
    match flashstudio::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
