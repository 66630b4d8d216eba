//! A closed-loop HTTP/1.1 load generator, in the manner of `wrk -t<threads> -c<conns>`:
//! keep-alive connections spread over a few OS threads, each thread one single-threaded
//! event loop; every connection sends its next request as soon as it has read the previous
//! answer. Latency is measured from the first byte written to the last byte read.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::rt::net::TcpStream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Renders request number `n` (from 0), head and body, ready to write.
pub type MakeRequest = Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>;

/// How much load to apply.
#[derive(Debug, Clone)]
pub struct Plan {
    pub connections: usize,
    pub threads: usize,
    /// Measured time, after `warmup`.
    pub duration: Duration,
    /// Requests answered during this first stretch are not counted.
    pub warmup: Duration,
    /// Stop once this many requests were sent (growth runs), else at the end of
    /// `duration`.
    pub limit: Option<u64>,
}

impl Plan {
    /// `connections` over two threads (one per core of the development machine), 1 s of
    /// warm-up, `seconds` measured.
    pub fn new(connections: usize, seconds: u64) -> Plan {
        Plan {
            connections,
            threads: 2.min(connections),
            duration: Duration::from_secs(seconds),
            warmup: Duration::from_secs(1),
            limit: None,
        }
    }
}

/// What a run measured.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// Answers read in the measured time.
    pub answered: u64,
    /// Connections that failed (refused, reset, unparsable answer) in the measured time.
    pub failures: u64,
    pub seconds: f64,
    /// Microseconds per answered request.
    pub latencies: Vec<u32>,
    pub statuses: BTreeMap<u16, u64>,
}

impl Outcome {
    /// Answers per second.
    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.answered as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Latency percentile `p` (0–100) in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
    }

    /// The share of answers with a status other than `expected`.
    pub fn unexpected(&self, expected: u16) -> u64 {
        self.statuses
            .iter()
            .filter(|(status, _)| **status != expected)
            .map(|(_, n)| n)
            .sum::<u64>()
            + self.failures
    }

    fn merge(&mut self, other: Outcome) {
        self.answered += other.answered;
        self.failures += other.failures;
        self.latencies.extend(other.latencies);
        for (status, count) in other.statuses {
            *self.statuses.entry(status).or_default() += count;
        }
    }
}

/// Applies `plan` to `address` with requests from `make`.
pub fn run(address: SocketAddr, plan: &Plan, make: &MakeRequest) -> Outcome {
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let measure_from = started + plan.warmup;
    let until = measure_from + plan.duration;
    let threads: Vec<_> = (0..plan.threads)
        .map(|thread| {
            let share = plan.connections / plan.threads
                + usize::from(thread < plan.connections % plan.threads);
            let (make, counter, limit) = (Arc::clone(make), Arc::clone(&counter), plan.limit);
            std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let tasks: Vec<_> = (0..share)
                        .map(|_| {
                            let (make, counter) = (Arc::clone(&make), Arc::clone(&counter));
                            actix_web::rt::spawn(connection(
                                address,
                                make,
                                counter,
                                limit,
                                measure_from,
                                until,
                            ))
                        })
                        .collect();
                    let mut outcome = Outcome::default();
                    for task in tasks {
                        if let Ok(part) = task.await {
                            outcome.merge(part);
                        }
                    }
                    outcome
                })
            })
        })
        .collect();
    let mut outcome = Outcome::default();
    for thread in threads {
        if let Ok(part) = thread.join() {
            outcome.merge(part);
        }
    }
    let ended = Instant::now().min(until);
    outcome.seconds = ended.saturating_duration_since(measure_from).as_secs_f64();
    if plan.limit.is_some() {
        // A growth run counts everything from the start.
        outcome.seconds = ended.saturating_duration_since(started).as_secs_f64();
    }
    outcome
}

async fn connection(
    address: SocketAddr,
    make: MakeRequest,
    counter: Arc<AtomicU64>,
    limit: Option<u64>,
    measure_from: Instant,
    until: Instant,
) -> Outcome {
    let mut outcome = Outcome::default();
    let counted = |now: Instant| limit.is_some() || now >= measure_from;
    let mut stream: Option<TcpStream> = None;
    let mut buffer = Vec::with_capacity(16 * 1024);
    while Instant::now() < until {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        if limit.is_some_and(|limit| n >= limit) {
            break;
        }
        let request = make(n);
        if stream.is_none() {
            match TcpStream::connect(address).await {
                Ok(connected) => {
                    let _ = connected.set_nodelay(true);
                    stream = Some(connected);
                }
                Err(_) => {
                    outcome.failures += u64::from(counted(Instant::now()));
                    actix_web::rt::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(open) = stream.as_mut() else {
            continue;
        };
        let sent = Instant::now();
        match exchange(open, &request, &mut buffer).await {
            Ok((status, close)) => {
                let now = Instant::now();
                if counted(now) {
                    outcome.answered += 1;
                    let micros = now.duration_since(sent).as_micros();
                    outcome
                        .latencies
                        .push(u32::try_from(micros).unwrap_or(u32::MAX));
                    *outcome.statuses.entry(status).or_default() += 1;
                }
                if close {
                    stream = None;
                }
            }
            Err(_) => {
                outcome.failures += u64::from(counted(Instant::now()));
                stream = None;
            }
        }
    }
    outcome
}

/// Writes `request` and reads one answer: its status and whether the server closes.
async fn exchange(
    stream: &mut TcpStream,
    request: &[u8],
    buffer: &mut Vec<u8>,
) -> std::io::Result<(u16, bool)> {
    stream.write_all(request).await?;
    buffer.clear();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            break end + 4;
        }
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head =
        std::str::from_utf8(&buffer[..head_end]).map_err(|_| std::io::ErrorKind::InvalidData)?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or(std::io::ErrorKind::InvalidData)?;
    let mut length = 0usize;
    let mut close = false;
    for line in head.lines().skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value
                    .trim()
                    .parse()
                    .map_err(|_| std::io::ErrorKind::InvalidData)?;
            } else if name.eq_ignore_ascii_case("connection")
                && value.trim().eq_ignore_ascii_case("close")
            {
                close = true;
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                // Every answer measured here has a length; a stream would need parsing.
                return Err(std::io::ErrorKind::InvalidData.into());
            }
        }
    }
    while buffer.len() < head_end + length {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    Ok((status, close))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// A request's bytes: `method path`, `Host`, `headers`, and `body` with its length.
pub fn request(method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: bench\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method != "GET" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_rates_read_the_latencies() {
        let outcome = Outcome {
            answered: 4,
            seconds: 2.0,
            latencies: vec![4000, 1000, 3000, 2000],
            ..Outcome::default()
        };
        assert_eq!(outcome.rate(), 2.0);
        assert_eq!(outcome.percentile_ms(0.0), 1.0);
        assert_eq!(outcome.percentile_ms(100.0), 4.0);
    }

    #[test]
    fn requests_carry_their_length() {
        let bytes = request("POST", "/x", &[("A", "b".into())], b"{}");
        assert_eq!(
            bytes,
            b"POST /x HTTP/1.1\r\nHost: bench\r\nA: b\r\nContent-Length: 2\r\n\r\n{}"
        );
    }
}
