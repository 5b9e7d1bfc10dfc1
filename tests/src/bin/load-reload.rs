//! `load-reload`: the load test of `bench/load-reload.sh`. Starts the upstream (in this process),
//! the proxy (`COOKIE_WARDEN_BIN`), then N keep-alive connections for a fixed time while the policy
//! is switched by reload, checking every response's cookies (see `cookie_warden_tests::load`).
//! Prints the report as JSON on stdout; exits 1 when any request failed or mismatched, a reload
//! did not take effect, or memory was not flat.
//!
//! ```text
//! load-reload [--connections N] [--duration SECS] [--reloads K] [--threads T]
//! ```
//!
//! The reloads are spread evenly over the run (K = 2: at one third and two thirds).

use std::time::Duration;

use cookie_warden_tests::TempDir;
use cookie_warden_tests::load::{self, LoadPlan, Variant};

/// Growth of the proxy's VmRSS allowed from the end of the first quarter of the run to the
/// maximum of its last half: 10 % plus 16 MiB.
fn memory_flat(samples: &[u64]) -> bool {
    if samples.len() < 8 {
        return true;
    }
    let settled = samples[samples.len() / 4];
    let late_max = samples[samples.len() / 2..].iter().copied().max().unwrap_or(0);
    late_max <= settled + settled / 10 + 16 * 1024
}

struct Args {
    connections: usize,
    duration: u64,
    reloads: u32,
    threads: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        connections: 1000,
        duration: 60,
        reloads: 2,
        threads: 2,
    };
    let mut words = std::env::args().skip(1);
    while let Some(flag) = words.next() {
        let value = words.next().ok_or_else(|| format!("`{flag}` needs a value"))?;
        let number = |what: &str| {
            value
                .parse::<u64>()
                .map_err(|_| format!("invalid {what} `{value}`: expected a whole number"))
        };
        match flag.as_str() {
            "--connections" => {
                args.connections = usize::try_from(number("connection count")?).unwrap_or(usize::MAX);
            }
            "--duration" => args.duration = number("duration in seconds")?,
            "--reloads" => args.reloads = u32::try_from(number("reload count")?).unwrap_or(u32::MAX),
            "--threads" => args.threads = usize::try_from(number("thread count")?).unwrap_or(1).max(1),
            _ => return Err(format!("unknown argument `{flag}`")),
        }
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("load-reload: error: {message}");
            std::process::exit(2);
        }
    };
    if std::env::var_os("COOKIE_WARDEN_BIN").is_none() {
        eprintln!("load-reload: error: set COOKIE_WARDEN_BIN to the cookie-warden binary to test");
        std::process::exit(2);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let clean = runtime.block_on(run(&args));
    std::process::exit(if clean { 0 } else { 1 });
}

async fn run(args: &Args) -> bool {
    let upstream = load::serve_upstream().await;
    let dir = TempDir::new();
    let policy_path = dir.path("policy.toml");
    load::write_initial_policy(&policy_path, Variant::A).expect("write the policy");
    let proxy = load::start_proxy(&policy_path, upstream);
    eprintln!(
        "load-reload: proxy pid {} on {}, upstream {upstream}, {} connections for {} s, {} reloads",
        proxy.pid(),
        proxy.address,
        args.connections,
        args.duration,
        args.reloads
    );
    let duration = Duration::from_secs(args.duration);
    let reloads = (1..=args.reloads)
        .map(|n| duration.mul_f64(f64::from(n) / f64::from(args.reloads + 1)))
        .collect();
    let plan = LoadPlan {
        proxy: proxy.address,
        proxy_pid: proxy.pid(),
        policy_path,
        initial: Variant::A,
        connections: args.connections,
        duration,
        reloads,
    };
    let report = load::run(&plan).await;
    let reload_events = proxy
        .stderr()
        .iter()
        .filter(|line| line.contains("\"policy reloaded\""))
        .count();
    let failure_events: Vec<String> = proxy
        .stderr()
        .into_iter()
        .filter(|line| line.contains("\"WARN\"") || line.contains("\"ERROR\""))
        .take(10)
        .collect();
    let flat = memory_flat(&report.rss_kib);
    let mut json = report.to_json();
    json["reload_events"] = reload_events.into();
    json["proxy_warnings"] = failure_events.into();
    json["memory_flat"] = flat.into();
    println!("{}", serde_json::to_string_pretty(&json).expect("JSON"));
    let planned = usize::try_from(args.reloads).unwrap_or(usize::MAX);
    report.clean(planned) && flat
}
