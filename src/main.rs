//! The `flashstudio` binary: parses the command line and hands over to the library.

use clap::Parser as _;

/// mimalloc returns memory to the system after a burst of requests, where glibc's allocator
/// keeps it in per-thread arenas (`docs/performance.md`, "A hundred times the data").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
