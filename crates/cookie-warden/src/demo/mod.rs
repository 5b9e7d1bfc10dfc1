//! `cookie-warden demo`: the proxy with `config/fora.toml` (or, with `--policy consent`,
//! `config/fora-consent.toml`) on 127.0.0.1:8080 in front of a built-in upstream on a free
//! loopback port.
//!
//! - [`areas`]: one site area per policy scope, reached by a path prefix on one loopback address;
//! - [`site`]: what each area's pages set (the declared cookies, some broken, and rogue ones);
//! - [`consent`]: with `[consent]`, the home page's "accept" and "decline" links;
//! - [`upstream`]: the built-in upstream that serves it.
//!
//! The demo judges every request as https (the real site is served over https; browsers accept
//! `Secure` cookies from `http://127.0.0.1` and `http://localhost`, which they treat as secure).

pub(crate) mod areas;
mod attributes;
pub(crate) mod consent;
pub(crate) mod site;
pub(crate) mod upstream;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use cookie_warden_core::policy::from_figment;
use cookie_warden_proxy::forward::Upstream as UpstreamUrl;
use cookie_warden_proxy::{Proxy, limits, reload, server};
use figment::Figment;
use figment::providers::{Format, Toml};
use tower_cookie_warden::PolicyHandle;

use crate::cli::{DemoArgs, DemoPolicy};
use crate::exit::Exit;
use crate::{logging, policy_file};

/// The policy the demo uses unless `--config` names another: `config/fora.toml`, built in (from
/// the package's copy, so that the published crate builds; a test keeps it equal to the
/// workspace's `config/fora.toml`).
const FORA: &str = include_str!("../../config/fora.toml");

/// The built-in policy of `--policy consent`: `config/fora-consent.toml`.
const FORA_CONSENT: &str = include_str!("../../config/fora-consent.toml");

/// Runs the demo until SIGTERM / Ctrl-C.
pub(crate) fn run(args: DemoArgs) -> Result<Exit> {
    let _logs = logging::init(args.telemetry.log_format, args.telemetry.otlp_endpoint.as_deref())?;
    let builtin = match args.policy {
        DemoPolicy::Fora => FORA,
        DemoPolicy::Consent => FORA_CONSENT,
    };
    let loaded = match &args.config {
        Some(path) => policy_file::load(path).map_err(|errors| reload::error_lines(&errors)),
        None => from_figment(&builtin_figment(builtin)).map_err(|errors| reload::policy_error_lines(&errors)),
    };
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(errors) => {
            for line in errors {
                eprintln!("cookie-warden: error: {line}");
            }
            return Ok(Exit::Usage);
        }
    };
    let bytes = match &args.config {
        Some(path) => std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?,
        None => builtin.as_bytes().to_vec(),
    };
    crate::status::policy_loaded(crate::status::digest(&bytes), &loaded.policy);

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    limits::raise_open_files();
    runtime.block_on(async move {
        let handle = PolicyHandle::new(loaded.policy);
        crate::proxy::start_metrics(&args.telemetry).await?;
        let _reloader = match &args.config {
            Some(path) => Some(reload::start(path.clone(), handle.clone(), true, bytes)?),
            None => None,
        };

        let policy = handle.load();
        let areas: Arc<[areas::Area]> = areas::areas(&policy).into();
        let site = Arc::new(site::Site::new(&policy, &areas));
        let upstream = upstream::Upstream::new(Arc::clone(&site), Arc::clone(&policy));
        let (upstream_listener, upstream_address) = server::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .context("cannot listen for the demo upstream")?;
        let upstream_url =
            UpstreamUrl::parse(&format!("http://{upstream_address}")).map_err(anyhow::Error::msg)?;
        let mut config = crate::proxy::config(&args.serve, upstream_url)?;
        config.assume_https = true;
        tokio::spawn(server::serve(
            upstream_listener,
            None,
            upstream,
            config.server_limits(),
            std::future::pending(),
        ));

        let listen = config.listen;
        let scheme = config.scheme();
        let proxy = Proxy::bind(config, crate::proxy::policy_layer(&handle))
            .await
            .with_context(|| format!("cannot listen on {listen}"))?
            .map_service(|service| areas::AreaRouting::new(service, Arc::clone(&areas)));
        let bound = proxy.local_addr();
        println!("listening on {scheme}://{bound}");
        println!("upstream on http://{upstream_address}");
        let policy_name = match (&args.config, args.policy) {
            (Some(path), _) => path.display().to_string(),
            (None, DemoPolicy::Fora) => "config/fora.toml".to_owned(),
            (None, DemoPolicy::Consent) => "config/fora-consent.toml".to_owned(),
        };
        print!("{}", instructions(scheme, bound, upstream_address, &site, &policy_name));
        tracing::info!(target: "cookie_warden::proxy", address = %bound, upstream = %upstream_address, "demo listening");
        proxy.serve(crate::proxy::shutdown_signal()).await;
        Ok(Exit::Done)
    })
}

/// A built-in policy (`config/fora.toml` or `config/fora-consent.toml`) with the same
/// environment overrides as [`policy_file::figment`] (`COOKIE_WARDEN_ENFORCEMENT__MODE=report-only`
/// and the like).
fn builtin_figment(text: &str) -> Figment {
    Figment::new()
        .merge(Toml::string(text))
        .merge(crate::policy_file::env_overrides())
}

/// How to try the demo, printed at start.
fn instructions(
    scheme: &str,
    proxy: SocketAddr,
    upstream: SocketAddr,
    site: &site::Site,
    policy_name: &str,
) -> String {
    let mut text = format!(
        "\ncookie-warden demo: a site with {policy_name}'s cookies, and some rogue ones, behind cookie-warden.\n\n  open {scheme}://{proxy}/ in a browser\n\n  or try:\n"
    );
    for content in &site.areas {
        let _ = writeln!(
            text,
            "    curl -s -D - -o /dev/null {scheme}://{proxy}{path}    # {title}: what the browser gets",
            path = content.area.demo_path(),
            title = content.area.title,
        );
    }
    if let Some(first) = site.areas.first() {
        let _ = writeln!(
            text,
            "    curl -s -D - -o /dev/null -H 'Host: {host}' http://{upstream}{base}/    # what the upstream sends, unfiltered",
            host = first.area.host,
            base = first.area.base_path,
        );
    }
    if let Some(banner) = &site.banner {
        let _ = writeln!(
            text,
            "\n  consent: cookies of {required} wait for `{cookie}`; accept or decline on the home page, or:\n    curl -s -D - -o /dev/null {scheme}://{proxy}{accept}    # the consent cookie the banner sets",
            required = banner.required,
            cookie = banner.cookie,
            accept = banner.accept_path,
        );
    }
    text.push_str("\n  Each cookie that cookie-warden fixes or strips is logged below as a `cookie policy violation`.\n  Stop with Ctrl-C.\n\n");
    text
}

#[cfg(test)]
mod tests {
    /// The built-in policies are copies of the workspace's `config/` files, which the README, the
    /// benches and the tests name: the copies must not drift.
    #[test]
    fn built_in_policies_equal_the_workspace_configs() {
        for (name, built_in) in [
            ("fora.toml", super::FORA),
            ("fora-consent.toml", super::FORA_CONSENT),
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../config")
                .join(name);
            let workspace = std::fs::read_to_string(&path).unwrap();
            assert!(
                workspace == built_in,
                "crates/cookie-warden/config/{name} differs from config/{name}: cp config/{name} crates/cookie-warden/config/"
            );
        }
    }
}
