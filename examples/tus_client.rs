//! The client of `scripts/bench-tus`: one program that uploads a file either through the app's
//! resumable endpoint (tus 1.0) or straight to Azure Blob Storage (Azurite), streaming it from
//! disk with the same HTTP client, so the two throughputs compare like for like.
//!
//! - `tus_client tus <endpoint> <token> <file> <state file> [replica]`: creates the upload (its
//!   URL kept in the state file) or, when the state file exists, asks where it stands (HEAD)
//!   and goes on from there, in one PATCH per attempt; a refused or cut attempt asks again
//!   and goes on. `replica` is sent as `X-Replica` (the benchmark's nginx routes on it). Prints
//!   the seconds it took.
//! - `tus_client direct <file> <azurite endpoint> <container> <blob>`: Put Block of 64 MiB
//!   blocks through a SAS URL, one after the other, then Put Block List. Prints the seconds.
//!
//! - `tus_client sha256 <azurite endpoint> <container> <blob>`: the stored blob's SHA-256
//!   (streamed), to compare with the source's.
//!
//! Azurite's published account and key.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a benchmark tool: failing loudly is right"
)]

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::path::Path;
use object_store::signer::Signer as _;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use tokio_util::io::ReaderStream;

const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const DIRECT_BLOCK: u64 = 64 * 1024 * 1024;

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().collect();
    let started = Instant::now();
    match args.get(1).map(String::as_str) {
        Some("tus") if args.len() >= 6 => {
            tus(
                &args[2],
                &args[3],
                &args[4],
                &args[5],
                args.get(6).map(String::as_str),
            )
            .await;
        }
        Some("direct") if args.len() == 6 => direct(&args[2], &args[3], &args[4], &args[5]).await,
        Some("sha256") if args.len() == 5 => {
            println!("{}", sha256(&args[2], &args[3], &args[4]).await);
            return;
        }
        _ => {
            eprintln!(
                "usage: tus_client tus <endpoint> <token> <file> <state file> [replica]\n       \
                 tus_client direct <file> <endpoint> <container> <blob>"
            );
            std::process::exit(2);
        }
    }
    println!("{:.3}", started.elapsed().as_secs_f64());
}

/// The file from `offset` as a streamed body of known length.
async fn body_from(file: &str, offset: u64, len: u64) -> reqwest::Body {
    let mut input = tokio::fs::File::open(file).await.expect("open the file");
    input
        .seek(std::io::SeekFrom::Start(offset))
        .await
        .expect("seek");
    let stream = ReaderStream::with_capacity(input.take(len), 1024 * 1024);
    reqwest::Body::wrap_stream(stream)
}

async fn tus(endpoint: &str, token: &str, file: &str, state_file: &str, replica: Option<&str>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3600))
        .build()
        .unwrap();
    let size = tokio::fs::metadata(file).await.expect("the file").len();
    let origin = endpoint
        .find("/api/")
        .map_or(endpoint, |i| &endpoint[..i])
        .to_owned();
    let request = |method: reqwest::Method, url: &str| {
        let mut r = client
            .request(method, url)
            .bearer_auth(token)
            .header("Tus-Resumable", "1.0.0");
        if let Some(replica) = replica {
            r = r.header("X-Replica", replica);
        }
        r
    };
    let url = match std::fs::read_to_string(state_file) {
        Ok(url) => url.trim().to_owned(),
        Err(_) => {
            let name = std::path::Path::new(file)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let resp = request(reqwest::Method::POST, endpoint)
                .header("Upload-Length", size.to_string())
                .header(
                    "Upload-Metadata",
                    format!("filename {}", BASE64.encode(name)),
                )
                .send()
                .await
                .expect("create");
            assert_eq!(
                resp.status().as_u16(),
                201,
                "{}",
                resp.text().await.unwrap()
            );
            let url = format!("{origin}{}", resp.headers()["location"].to_str().unwrap());
            std::fs::write(state_file, &url).expect("keep the upload's URL");
            url
        }
    };
    for attempt in 1..=30 {
        let head = request(reqwest::Method::HEAD, &url).send().await;
        let offset: u64 = match head {
            Ok(r) if r.status().is_success() => r.headers()["upload-offset"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap(),
            Ok(r) => panic!("HEAD answered {}", r.status()),
            Err(e) => {
                eprintln!("attempt {attempt}: HEAD failed: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        eprintln!("attempt {attempt}: the upload stands at {offset} of {size}");
        if offset == size {
            return;
        }
        let resp = request(reqwest::Method::PATCH, &url)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Length", (size - offset).to_string())
            .body(body_from(file, offset, size - offset).await)
            .send()
            .await;
        match resp {
            Ok(r) if r.status().as_u16() == 204 => {
                let at: u64 = r.headers()["upload-offset"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                if at == size {
                    return;
                }
            }
            Ok(r) => eprintln!("attempt {attempt}: PATCH answered {}", r.status()),
            Err(e) => eprintln!("attempt {attempt}: PATCH failed: {e}"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!("the upload did not complete in 30 attempts");
}

async fn direct(file: &str, endpoint: &str, container: &str, blob: &str) {
    let store = MicrosoftAzureBuilder::new()
        .with_account("devstoreaccount1")
        .with_access_key(AZURITE_KEY)
        .with_container_name(container)
        .with_endpoint(endpoint.to_owned())
        .with_allow_http(true)
        .build()
        .expect("store");
    let sas = store
        .signed_url(
            reqwest::Method::PUT,
            &Path::from(blob),
            Duration::from_secs(3600),
        )
        .await
        .expect("a SAS URL");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3600))
        .build()
        .unwrap();
    let size = tokio::fs::metadata(file).await.expect("the file").len();
    let mut ids = Vec::new();
    let mut offset = 0;
    while offset < size {
        let len = DIRECT_BLOCK.min(size - offset);
        let id = BASE64.encode(format!("{:032}", ids.len()));
        let resp = client
            .put(format!("{sas}&comp=block&blockid={}", urlencode(&id)))
            .header("Content-Length", len.to_string())
            .body(body_from(file, offset, len).await)
            .send()
            .await
            .expect("put block");
        assert_eq!(
            resp.status().as_u16(),
            201,
            "{}",
            resp.text().await.unwrap()
        );
        ids.push(id);
        offset += len;
    }
    let list: String = ids
        .iter()
        .map(|id| format!("<Latest>{id}</Latest>"))
        .collect();
    let resp = client
        .put(format!("{sas}&comp=blocklist"))
        .body(format!(
            r#"<?xml version="1.0" encoding="utf-8"?><BlockList>{list}</BlockList>"#
        ))
        .send()
        .await
        .expect("put block list");
    assert_eq!(
        resp.status().as_u16(),
        201,
        "{}",
        resp.text().await.unwrap()
    );
}

async fn sha256(endpoint: &str, container: &str, blob: &str) -> String {
    use futures_util::StreamExt as _;
    use object_store::ObjectStore as _;
    use sha2::Digest as _;
    let store = MicrosoftAzureBuilder::new()
        .with_account("devstoreaccount1")
        .with_access_key(AZURITE_KEY)
        .with_container_name(container)
        .with_endpoint(endpoint.to_owned())
        .with_allow_http(true)
        .build()
        .expect("store");
    let mut stream = store
        .get_opts(&Path::from(blob), object_store::GetOptions::default())
        .await
        .expect("the blob")
        .into_stream();
    let mut hasher = sha2::Sha256::new();
    while let Some(chunk) = stream.next().await {
        hasher.update(chunk.expect("read the blob"));
    }
    hex::encode(hasher.finalize())
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
