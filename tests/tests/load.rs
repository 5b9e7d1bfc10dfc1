//! A short load test through the real proxy binary: 200 keep-alive connections for 5 s with one
//! live reload in the middle, every response's cookies checked against the policy in force (the
//! same code as `bench/load-reload.sh`'s 1,000 connections for 60 s; see
//! `cookie_warden_tests::load`). Loopback only; bounded in time.

use std::time::Duration;

use cookie_warden_tests::TempDir;
use cookie_warden_tests::load::{self, LoadPlan, Variant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_connections_see_exactly_the_policy_in_force_across_a_reload() {
    let upstream = load::serve_upstream().await;
    let dir = TempDir::new();
    let policy_path = dir.path("policy.toml");
    load::write_initial_policy(&policy_path, Variant::A).unwrap();
    let proxy = load::start_proxy(&policy_path, upstream);
    let plan = LoadPlan {
        proxy: proxy.address,
        proxy_pid: proxy.pid(),
        policy_path,
        initial: Variant::A,
        connections: 200,
        duration: Duration::from_secs(5),
        reloads: vec![Duration::from_millis(2500)],
    };
    let report = load::run(&plan).await;
    println!("{}", report.to_json());

    assert_eq!(report.failed, 0, "{:?}", report.problems);
    assert_eq!(report.mismatched, 0, "{:?}", report.problems);
    assert_eq!(report.reloads.len(), 1, "the reload took effect");
    assert!(report.per_variant[0] > 0, "responses under the first policy");
    assert!(report.per_variant[1] > 0, "responses under the reloaded policy");
    assert!(
        proxy
            .wait_for_log("\"policy reloaded\"", 0, Duration::from_secs(10))
            .is_some(),
        "the reload is logged"
    );
    let warnings: Vec<String> = proxy
        .stderr()
        .into_iter()
        .filter(|line| line.contains("\"WARN\"") || line.contains("\"ERROR\""))
        .collect();
    assert!(warnings.is_empty(), "{warnings:?}");
}
