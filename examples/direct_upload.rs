//! The baseline of `scripts/bench-upload`: uploads a file straight to Azure Blob Storage (or
//! Azurite) with object_store, with the same block size and blocks in flight as the app, and
//! prints the seconds it took.
//!
//! `direct_upload <file> <endpoint> <container> <block MiB>` (account and key: Azurite's).

#![allow(
    clippy::expect_used,
    reason = "a benchmark tool: failing loudly is right"
)]

use std::time::Instant;

use object_store::azure::MicrosoftAzureBuilder;
use object_store::path::Path;
use object_store::{ObjectStoreExt as _, WriteMultipart};
use tokio::io::AsyncReadExt as _;

const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().collect();
    let [_, file, endpoint, container, block_mb] = args.as_slice() else {
        eprintln!("usage: direct_upload <file> <endpoint> <container> <block MiB>");
        std::process::exit(2);
    };
    let block: usize = block_mb.parse().expect("block MiB");
    let store = MicrosoftAzureBuilder::new()
        .with_account("devstoreaccount1")
        .with_access_key(AZURITE_KEY)
        .with_container_name(container)
        .with_endpoint(endpoint.clone())
        .with_allow_http(true)
        .build()
        .expect("store");
    let started = Instant::now();
    let upload = store
        .put_multipart(&Path::from("bench/direct.bin"))
        .await
        .expect("start upload");
    let mut writer = WriteMultipart::new_with_chunk_size(upload, block * 1024 * 1024);
    let mut input = tokio::fs::File::open(file).await.expect("open");
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = input.read(&mut buf).await.expect("read");
        if n == 0 {
            break;
        }
        writer.wait_for_capacity(2).await.expect("capacity");
        writer.write(&buf[..n]);
    }
    writer.finish().await.expect("finish");
    println!("{:.3}", started.elapsed().as_secs_f64());
}
