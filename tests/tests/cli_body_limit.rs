//! End to end: a vendor server answering the first call with a 200 MiB body. The binary refuses
//! it at the 64 MiB limit (exit 1, one line naming the limit, no panic) and its memory stays
//! bounded by the limit, whatever the framing: a `Content-Length` that announces the size, a
//! chunked body, or a body that simply runs until the connection closes.
//!
//! Its own file, so its own test process: the peak resident set size of this process's waited-for
//! children (`getrusage(RUSAGE_CHILDREN)`) belongs to this test's runs of the binary only.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use nix::sys::resource::{UsageWho, getrusage};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use common::{MONTH, Run, run_bounded};

const MIB: u64 = 1024 * 1024;
/// The body each connection is answered with: 200 MiB, sent 1 MiB at a time.
const BODY_CHUNKS: u64 = 200;
/// The client's limit.
const LIMIT: u64 = 64 * MIB;
/// Most memory the binary may have used at its peak (300 MB).
const MAX_RSS_BYTES: u64 = 300_000_000;
/// Connections one server accepts before it stops listening.
const MAX_CONNECTIONS: usize = 10;
/// How long one run of the binary may take before it is killed.
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// How the 200 MiB body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// `Content-Length: 209715200`.
    ContentLength,
    /// `Transfer-Encoding: chunked`, one 1 MiB chunk at a time.
    Chunked,
    /// No length at all: the body ends when the server closes the connection.
    UntilClose,
}

/// A loopback server that answers every request with a 200 MiB JSON-looking body.
struct HugeServer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    /// Body bytes the server managed to write, over all connections.
    written: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl HugeServer {
    async fn start(framing: Framing) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let written = Arc::new(AtomicU64::new(0));
        let task = {
            let connections = Arc::clone(&connections);
            let written = Arc::clone(&written);
            tokio::spawn(async move {
                while connections.load(Ordering::SeqCst) < MAX_CONNECTIONS {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    connections.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(answer(stream, framing, Arc::clone(&written)));
                }
            })
        };
        HugeServer {
            addr,
            connections,
            written,
            task,
        }
    }
}

/// Reads one request (head and `Content-Length` body, at most 1 MiB), then sends the huge
/// answer until it is all sent or the client hangs up.
async fn answer(mut stream: TcpStream, framing: Framing, written: Arc<AtomicU64>) {
    let mut request = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if request.len() > MIB as usize {
            return;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
    let body_len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
        .min(MIB as usize);
    while request.len() < head_end + body_len {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }

    let total = BODY_CHUNKS * MIB;
    let framing_header = match framing {
        Framing::ContentLength => format!("Content-Length: {total}\r\n"),
        Framing::Chunked => "Transfer-Encoding: chunked\r\n".to_owned(),
        Framing::UntilClose => "Connection: close\r\n".to_owned(),
    };
    let head = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{framing_header}\r\n");
    if stream.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    // A JSON string that never ends: `{"companies":[{"name":"xxxx…`, 1 MiB at a time.
    let rest = vec![b'x'; MIB as usize];
    let mut first = rest.clone();
    let opening = br#"{"companies":[{"name":""#;
    first[..opening.len()].copy_from_slice(opening);
    for i in 0..BODY_CHUNKS {
        let piece: &[u8] = if i == 0 { &first } else { &rest };
        let sent = match framing {
            Framing::Chunked => {
                let size = format!("{:x}\r\n", piece.len());
                stream.write_all(size.as_bytes()).await.is_ok()
                    && stream.write_all(piece).await.is_ok()
                    && stream.write_all(b"\r\n").await.is_ok()
            }
            Framing::ContentLength | Framing::UntilClose => stream.write_all(piece).await.is_ok(),
        };
        if !sent {
            return;
        }
        written.fetch_add(piece.len() as u64, Ordering::SeqCst);
    }
    if framing == Framing::Chunked {
        let _ = stream.write_all(b"0\r\n\r\n").await;
    }
    let _ = stream.shutdown().await;
}

/// The peak resident set size of this process's waited-for children so far, in bytes
/// (`ru_maxrss` is in KiB on Linux).
fn children_peak_rss() -> u64 {
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap();
    u64::try_from(usage.max_rss()).unwrap() * 1024
}

/// `VmHWM` (the peak resident set size so far) of a running process, in bytes, from
/// `/proc/PID/status`; `None` once it has exited.
fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Runs `collect --vendor VENDOR` against a huge-answer server with `framing`; returns the run,
/// the body bytes the server wrote, and the largest `VmHWM` seen while it ran (a lower bound
/// of its peak, sampled every 10 ms).
async fn collect_against_huge_answer(vendor: &str, framing: Framing) -> (Run, u64, u64) {
    let server = HugeServer::start(framing).await;
    let home = tempfile::tempdir().unwrap();
    let url = format!("http://{}/api", server.addr);
    let mut vars = match vendor {
        "eset" => vec![
            ("ESET_MSP_API_URL".to_owned(), url),
            (
                "ESET_MSP_USERNAME".to_owned(),
                "api@huge.example".to_owned(),
            ),
            (
                "ESET_MSP_PASSWORD".to_owned(),
                "huge-answer-password".to_owned(),
            ),
        ],
        _ => vec![
            ("GRAVITYZONE_API_URL".to_owned(), url),
            (
                "GRAVITYZONE_API_KEY".to_owned(),
                "huge-answer-gravityzone-key".to_owned(),
            ),
        ],
    };
    vars.push(("MSP_USAGE_MAX_ATTEMPTS".to_owned(), "2".to_owned()));
    vars.push(("MSP_USAGE_TIMEOUT_SECS".to_owned(), "60".to_owned()));
    let home_path = home.path().to_path_buf();
    let vendor_arg = vendor.to_owned();
    let (run, sampled) = tokio::task::spawn_blocking(move || {
        let mut sampled = 0;
        let args = [
            "collect",
            "--vendor",
            &vendor_arg,
            "--month",
            MONTH,
            "--format",
            "json",
        ];
        let run = run_bounded(&home_path, &args, &vars, RUN_LIMIT, |pid| {
            sampled = sampled.max(vm_hwm(pid).unwrap_or(0));
        });
        (run, sampled)
    })
    .await
    .unwrap();
    server.task.abort();
    assert!(
        server.connections.load(Ordering::SeqCst) >= 1,
        "{vendor} {framing:?}: the server was never called; stderr:\n{}",
        run.stderr
    );
    (run, server.written.load(Ordering::SeqCst), sampled)
}

fn check(vendor: &str, framing: Framing, run: &Run, written: u64) {
    let what = format!("{vendor} with a 200 MiB answer ({framing:?})");
    assert!(
        !run.stderr.contains("panicked"),
        "{what}: the binary panicked:\n{}",
        run.stderr
    );
    assert_eq!(run.code, 1, "{what}: exit code; stderr:\n{}", run.stderr);
    assert!(
        run.stderr.lines().any(|l| l.contains("64 MiB")),
        "{what}: no line of standard error names the 64 MiB limit:\n{}",
        run.stderr
    );
    match framing {
        // Refused on the announced length, before reading the body.
        Framing::ContentLength => assert!(
            written < 32 * MIB,
            "{what}: the server could write {written} bytes: the body was read"
        ),
        // Read up to the limit, then refused (the server wrote at least that much).
        Framing::Chunked | Framing::UntilClose => assert!(
            (LIMIT..BODY_CHUNKS * MIB).contains(&written),
            "{what}: the server wrote {written} bytes (expected the client to read about 64 MiB, then hang up)"
        ),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_over_64_mib_are_refused_with_bounded_memory() {
    let framings = [
        Framing::UntilClose,
        Framing::Chunked,
        Framing::ContentLength,
    ];
    let mut peaks = Vec::new();
    for vendor in ["eset", "bitdefender"] {
        let mut sampled_peak = 0;
        for framing in framings {
            let (run, written, sampled) = collect_against_huge_answer(vendor, framing).await;
            check(vendor, framing, &run, written);
            eprintln!(
                "{vendor} {framing:?}: exit {}, server wrote {:.1} MiB, sampled VmHWM {:.1} MB",
                run.code,
                written as f64 / MIB as f64,
                sampled as f64 / 1e6
            );
            sampled_peak = sampled_peak.max(sampled);
        }
        // The children's peak is a running maximum over every run so far, this vendor's
        // included.
        let peak = children_peak_rss();
        eprintln!(
            "after {vendor}: children's peak RSS {:.1} MB (sampled VmHWM of {vendor}'s runs {:.1} MB)",
            peak as f64 / 1e6,
            sampled_peak as f64 / 1e6
        );
        peaks.push((vendor, peak));
    }
    for (vendor, peak) in peaks {
        assert!(
            peak < MAX_RSS_BYTES,
            "peak resident set size of the binary reached {peak} bytes by the end of the {vendor} runs (limit {MAX_RSS_BYTES})"
        );
    }
}
