//! `cookie-warden proxy --config F --upstream URL [--listen ADDR]`: the reverse proxy.

use anyhow::{Context, Result};
use cookie_warden_proxy::forward::Upstream;
use cookie_warden_proxy::{Proxy, limits, reload};
use http::HeaderValue;
use tower_cookie_warden::PolicyHandle;

use crate::cli::ProxyArgs;
use crate::exit::Exit;
use crate::{logging, policy_file};

/// Runs the proxy until SIGTERM / Ctrl-C.
pub(crate) fn run(args: ProxyArgs) -> Result<Exit> {
    let _logs = logging::init(args.telemetry.log_format, args.telemetry.otlp_endpoint.as_deref())?;
    let upstream = Upstream::parse(&args.upstream).map_err(anyhow::Error::msg)?;
    let upstream_host = args
        .upstream_host
        .as_deref()
        .map(|host| {
            HeaderValue::from_str(host).map_err(|_| anyhow::anyhow!("invalid --upstream-host `{host}`"))
        })
        .transpose()?;
    let mut config = crate::proxy::config(&args.serve, upstream)?;
    config.upstream_host = upstream_host;
    let bytes = std::fs::read(&args.config)
        .with_context(|| format!("cannot read the policy `{}`", args.config.display()))?;
    let loaded = match policy_file::load(&args.config) {
        Ok(loaded) => loaded,
        Err(errors) => {
            for line in reload::error_lines(&errors) {
                eprintln!("cookie-warden: error: {line}");
            }
            return Ok(Exit::Usage);
        }
    };
    for warning in &loaded.warnings {
        tracing::warn!(target: "cookie_warden::proxy", warning = %warning, "policy lint");
    }
    let digest = crate::status::digest(&bytes);
    crate::status::policy_loaded(digest.clone(), &loaded.policy);

    let runtime = runtime()?;
    limits::raise_open_files();
    runtime.block_on(async move {
        let handle = PolicyHandle::new(loaded.policy);
        crate::proxy::start_metrics(&args.telemetry).await?;
        let _reloader = reload::start(args.config.clone(), handle.clone(), !args.no_watch, bytes)?;
        let listen = config.listen;
        let scheme = config.scheme();
        let upstream = config.upstream.display();
        let proxy = Proxy::bind(config, crate::proxy::policy_layer(&handle))
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let bound = proxy.local_addr();
        println!("listening on {scheme}://{bound}");
        tracing::info!(
            target: "cookie_warden::proxy",
            address = %bound,
            upstream = %upstream,
            policy = %args.config.display(),
            policy.digest = %digest,
            "proxy listening"
        );
        proxy.serve(crate::proxy::shutdown_signal()).await;
        Ok(Exit::Done)
    })
}

/// The runtime: one worker thread per CPU the process may run on. With one CPU (a container
/// limited to one, or pinned like nginx's single worker) a current-thread runtime: the accept
/// loop, every connection and the upstream connections then share one thread, with no hand-over
/// between threads on each request.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if cpus == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        // tokio's own default: a worker per CPU, or `TOKIO_WORKER_THREADS`.
        tokio::runtime::Builder::new_multi_thread().enable_all().build()
    }
}
