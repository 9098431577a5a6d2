//! A cluster on one machine: replicas of the server binary on one PostgreSQL database and one
//! Azurite container, with real SMTP, behind nginx — and a readiness watcher that plays the
//! part of Kubernetes' endpoints: it polls every replica's `/ready` and rewrites and reloads
//! nginx's upstream list when a replica becomes ready or stops being ready. A rolling restart
//! follows the procedure the Helm chart relies on: SIGTERM, the replica drains (`/ready` 503,
//! still serving), the watcher takes it out of nginx, the replica stops accepting and exits,
//! starts again, and is put back once ready.
//!
//! The replicas run the binary `cargo test` built with these tests (a release build instead
//! with `FLASHSTUDIO_TEST_CLUSTER_BIN`). `scripts/test` installs nginx and passes it in
//! `FLASHSTUDIO_TEST_NGINX`.

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flashstudio::db::Db;
use tokio::process::{Child, Command};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::support::{self, Browser, SmtpSink, free_port};

/// The binary the replicas run: this build's own (the one `cargo test` built for these
/// tests), or `FLASHSTUDIO_TEST_CLUSTER_BIN` (a release build, say, to try the cluster at
/// production speed).
fn server_bin() -> PathBuf {
    std::env::var_os("FLASHSTUDIO_TEST_CLUSTER_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_flashstudio")),
        PathBuf::from,
    )
}

fn nginx_bin() -> String {
    std::env::var("FLASHSTUDIO_TEST_NGINX").expect(
        "FLASHSTUDIO_TEST_NGINX is not set: run the suite with scripts/test, which installs nginx",
    )
}

/// How the cluster is set up.
#[derive(Clone, Debug)]
pub struct Options {
    /// Replicas behind nginx.
    pub replicas: usize,
    /// `SHUTDOWN_DRAIN_SECS` of every replica.
    pub drain_secs: u64,
    /// nginx keeps idle connections to the replicas (`keepalive` in the upstream block,
    /// HTTP/1.1 to the upstream), as ingress controllers do.
    pub upstream_keepalive: bool,
    /// More settings for every replica.
    pub env: Vec<(&'static str, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            replicas: 3,
            drain_secs: 3,
            upstream_keepalive: false,
            env: Vec::new(),
        }
    }
}

/// One PostgreSQL database, one Azurite container, one SMTP sink, the replicas, one nginx.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub env: HashMap<String, String>,
    pub ports: Vec<u16>,
    pub base: String,
    pub db: Db,
    pub sink: SmtpSink,
    pub options: Options,
    replicas: Vec<Option<Child>>,
    /// Held for its `Drop`, which stops nginx.
    _nginx: Arc<Nginx>,
    watcher: Watcher,
}

/// What one rolling restart of one replica looked like.
#[derive(Debug)]
pub struct Restart {
    /// From SIGTERM until nginx no longer sent new requests to the replica.
    pub out_of_rotation_after: Duration,
    /// From SIGTERM until the process exited (with code 0).
    pub exited_after: Duration,
}

impl Cluster {
    pub async fn start(options: Options) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let sink = SmtpSink::start().await;
        let database_url =
            support::fresh_database_url(support::Backend::Postgres, dir.path()).await;
        let nginx_port = free_port();
        let base = format!("http://127.0.0.1:{nginx_port}");
        let mut env: HashMap<String, String> = [
            ("DATABASE_URL", database_url.clone()),
            ("DATABASE_MAX_CONNECTIONS", "8".to_owned()),
            ("BASE_URL", base.clone()),
            ("SECRET_KEY", hex::encode(rand::random::<[u8; 32]>())),
            ("SMTP_URL", format!("smtp://127.0.0.1:{}", sink.port)),
            ("BOOTSTRAP_ADMIN", "false".to_owned()),
            ("DEMO_CONTENT", "false".to_owned()),
            ("AUTO_MIGRATE", "false".to_owned()),
            ("LOG_FORMAT", "json".to_owned()),
            ("LOG_LEVEL", "info".to_owned()),
            ("SHUTDOWN_GRACE_SECS", "15".to_owned()),
            ("SHUTDOWN_DRAIN_SECS", options.drain_secs.to_string()),
            ("JOB_POLL_INTERVAL_MS", "100".to_owned()),
            ("TRUST_PROXY_HEADERS", "true".to_owned()),
            ("TRUSTED_PROXY_HOPS", "1".to_owned()),
            // A POST-stream client checks out every few seconds for the whole run, more
            // orders than a customer places in an hour: the restarts are under test here, not
            // the checkout limits (tests/app/orders.rs has those).
            ("CHECKOUT_LIMIT_PER_CLIENT", "10000".to_owned()),
            ("CHECKOUT_LIMIT_PER_EMAIL", "10000".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        env.extend(support::azurite_vars(&support::shared_azurite()));
        env.extend(
            options
                .env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone())),
        );

        let ports: Vec<u16> = (0..options.replicas).map(|_| free_port()).collect();
        let nginx = Arc::new(
            Nginx::start(
                dir.path().join("nginx"),
                nginx_port,
                ports.clone(),
                options.upstream_keepalive,
            )
            .await,
        );
        let watcher = Watcher::start(Arc::clone(&nginx), ports.clone());
        // Like the chart's migration job: migrate once, then start the replicas.
        let mut cluster = Self {
            ports,
            replicas: Vec::new(),
            base,
            db: Db::connect(&database_url, 2).await.unwrap_or_else(|e| {
                panic!("connect to the test database: {e}");
            }),
            sink,
            env,
            dir,
            options,
            _nginx: nginx,
            watcher,
        };
        cluster.cli(&["migrate"]).await;
        cluster.cli(&["seed-demo", "--no-clips"]).await;
        for n in 0..cluster.ports.len() {
            let child = cluster.spawn_replica(n);
            cluster.replicas.push(Some(child));
        }
        for n in 0..cluster.ports.len() {
            cluster.wait_in_rotation(n).await;
        }
        cluster
    }

    /// Runs a command of the server binary with the cluster's settings; its stdout.
    pub async fn cli(&self, args: &[&str]) -> String {
        let data = self.dir.path().join("cli");
        std::fs::create_dir_all(&data).unwrap();
        let out = Command::new(server_bin())
            .args(args)
            .env_clear()
            .envs(&self.env)
            .env("FLASHSTUDIO_DATA_DIR", &data)
            .env("LOG_LEVEL", "warn")
            .current_dir(&data)
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "flashstudio {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn log_path(&self, n: usize) -> PathBuf {
        self.dir.path().join(format!("replica-{n}.log"))
    }

    fn spawn_replica(&self, n: usize) -> Child {
        let data = self.dir.path().join(format!("replica-{n}"));
        std::fs::create_dir_all(&data).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path(n))
            .unwrap();
        Command::new(server_bin())
            .args(["serve", "--addr", &format!("127.0.0.1:{}", self.ports[n])])
            .env_clear()
            .envs(&self.env)
            .env("FLASHSTUDIO_DATA_DIR", &data)
            .current_dir(&data)
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    }

    pub fn replica_url(&self, n: usize, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.ports[n])
    }

    /// Waits until replica `n` is ready and nginx sends it requests.
    pub async fn wait_in_rotation(&self, n: usize) {
        support::wait_for_ok(
            &format!("replica {n} to be ready"),
            &self.replica_url(n, "/ready"),
            Duration::from_secs(60),
        )
        .await;
        let watcher = &self.watcher;
        support::eventually(
            &format!("nginx to send requests to replica {n}"),
            Duration::from_secs(30),
            || async move { watcher.in_rotation(n).then_some(()) },
        )
        .await;
    }

    /// Sends SIGTERM to replica `n` and waits for it to leave nginx's rotation and to exit 0;
    /// the caller starts it again with [`Cluster::start_again`].
    pub async fn stop(&mut self, n: usize) -> Restart {
        self.stop_stalled(n, Duration::ZERO).await
    }

    /// Like [`Cluster::stop`], but the replica is frozen (SIGSTOP) for `stall` first and gets
    /// SIGTERM before it runs again, as a replica starved of CPU on a busy node would: nginx
    /// keeps sending it requests meanwhile, which wait in its accept queue and in the buffers
    /// of its idle keep-alive connections at the moment it learns it must stop.
    pub async fn stop_stalled(&mut self, n: usize, stall: Duration) -> Restart {
        let mut child = self.replicas[n].take().expect("the replica is running");
        if !stall.is_zero() {
            signal(&child, "-STOP").await;
            tokio::time::sleep(stall).await;
        }
        let signalled = Instant::now();
        support::sigterm(&child).await;
        if !stall.is_zero() {
            signal(&child, "-CONT").await;
        }
        let watcher = &self.watcher;
        let out_of_rotation_after = support::eventually(
            &format!("nginx to stop sending requests to replica {n}"),
            Duration::from_secs(30),
            || async move { (!watcher.in_rotation(n)).then(|| signalled.elapsed()) },
        )
        .await;
        let exit = tokio::time::timeout(
            Duration::from_secs(self.options.drain_secs + 30),
            child.wait(),
        )
        .await
        .expect("the stopped replica exits within its drain and grace periods")
        .unwrap();
        assert!(exit.success(), "exit code 0 after SIGTERM, got {exit:?}");
        Restart {
            out_of_rotation_after,
            exited_after: signalled.elapsed(),
        }
    }

    /// Starts replica `n` again on its port and waits until it is back in rotation.
    pub async fn start_again(&mut self, n: usize) {
        self.replicas[n] = Some(self.spawn_replica(n));
        self.wait_in_rotation(n).await;
    }

    /// A rolling restart of replica `n`: [`Cluster::stop_stalled`], then
    /// [`Cluster::start_again`].
    pub async fn restart(&mut self, n: usize, stall: Duration) -> Restart {
        let restart = self.stop_stalled(n, stall).await;
        self.start_again(n).await;
        restart
    }

    /// nginx's error log (why it answered 502, when it did).
    pub fn nginx_errors(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("nginx/error.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("[error]"))
            .map(str::to_owned)
            .collect()
    }

    /// A customer's browser through nginx, from its own loopback address (so per-client
    /// limits see distinct clients, as they would on the internet). It opens a new
    /// connection for every request: the test's load balancer changes its upstreams by
    /// reloading nginx, whose old worker then closes idle client connections, a race between
    /// the test's client and nginx that has nothing to do with the replicas (ingress
    /// controllers change their endpoints without a reload).
    pub fn browser(&self, client_ip: Ipv4Addr) -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(0)
            .local_address(IpAddr::V4(client_ip))
            .build()
            .unwrap();
        Browser {
            client,
            base: self.base.clone(),
        }
    }

    /// nginx's access log, one entry per request.
    pub fn access_log(&self) -> Vec<Access> {
        let text =
            std::fs::read_to_string(self.dir.path().join("nginx/access.log")).unwrap_or_default();
        text.lines()
            .filter_map(|line| {
                let parts: Vec<&str> = line.split('|').collect();
                let [upstream, status, method, path, _] = parts[..] else {
                    return None;
                };
                let answered = upstream.rsplit(", ").next().unwrap_or_default();
                let replica = self
                    .ports
                    .iter()
                    .position(|p| answered == format!("127.0.0.1:{p}"));
                Some(Access {
                    replica,
                    status: status.parse().unwrap_or(0),
                    method: method.to_owned(),
                    path: path.to_owned(),
                    passed_on: upstream.contains(", "),
                })
            })
            .collect()
    }

    /// What the readiness watcher did, in order (for the report of a failing test).
    pub fn watcher_events(&self) -> Vec<String> {
        self.watcher.events()
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }

    /// Stops everything.
    pub async fn shut_down(mut self) {
        self.watcher.stop.cancel();
        for child in self.replicas.iter_mut().flatten() {
            child.start_kill().ok();
        }
        self.db.close().await;
    }
}

/// One line of nginx's access log.
#[derive(Debug, Clone)]
pub struct Access {
    /// The replica that answered (none when nginx answered itself).
    pub replica: Option<usize>,
    pub status: u16,
    #[expect(dead_code, reason = "shown when a test prints the failing requests")]
    pub method: String,
    #[expect(dead_code, reason = "shown when a test prints the failing requests")]
    pub path: String,
    /// nginx tried another replica first (a refused connection).
    pub passed_on: bool,
}

/// nginx with a master process (so `SIGHUP` reloads the configuration with new workers while
/// the old ones finish their requests, as in production), writing to the test's directory.
struct Nginx {
    root: PathBuf,
    port: u16,
    ports: Vec<u16>,
    keepalive: bool,
    master: Mutex<Option<std::process::Child>>,
    /// The configuration generation last written.
    generation: Mutex<u64>,
}

impl Nginx {
    async fn start(root: PathBuf, port: u16, ports: Vec<u16>, keepalive: bool) -> Self {
        std::fs::create_dir_all(&root).unwrap();
        let nginx = Self {
            root,
            port,
            ports,
            keepalive,
            master: Mutex::new(None),
            generation: Mutex::new(0),
        };
        // No replica is ready yet; nginx answers 502 until the watcher puts them in.
        nginx.write_config(&BTreeSet::new(), 0);
        let conf = nginx.root.join("nginx.conf");
        let child = std::process::Command::new(nginx_bin())
            .arg("-e")
            .arg(nginx.root.join("error.log"))
            .arg("-p")
            .arg(&nginx.root)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        *nginx.master.lock().unwrap() = Some(child);
        nginx.wait_for_generation(0).await;
        nginx
    }

    /// Writes the configuration with `ready` as the upstream servers. With none ready, the
    /// upstream points at a closed port, so nginx answers 502 (as an ingress does with no
    /// endpoints).
    fn write_config(&self, ready: &BTreeSet<usize>, generation: u64) {
        let r = self.root.display();
        let mut upstreams: String = ready
            .iter()
            .map(|n| {
                format!(
                    "    server 127.0.0.1:{} max_fails=1 fail_timeout=1s;\n",
                    self.ports[*n]
                )
            })
            .collect();
        if upstreams.is_empty() {
            upstreams = "    server 127.0.0.1:9 down;\n".to_owned();
        }
        let (keepalive, upstream_http) = if self.keepalive {
            (
                "    keepalive 16;\n",
                "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n",
            )
        } else {
            ("", "")
        };
        // As root, nginx would run its workers as `nobody`, who cannot write the test's
        // private directory: keep them as the test's own user.
        let user = if is_root() { "user root;\n" } else { "" };
        let port = self.port;
        let conf = format!(
            "{user}worker_processes 1;
daemon off;
pid {r}/nginx.pid;
error_log {r}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format replicas '$upstream_addr|$status|$request_method|$uri|$upstream_status';
  access_log {r}/access.log replicas;
  client_body_temp_path {r}/body;
  proxy_temp_path {r}/proxy;
  fastcgi_temp_path {r}/fastcgi;
  uwsgi_temp_path {r}/uwsgi;
  scgi_temp_path {r}/scgi;
  client_max_body_size 64m;
  upstream flashstudio {{
{upstreams}{keepalive}  }}
  server {{
    listen 127.0.0.1:{port};
    # Which configuration the worker that took this connection runs (the watcher waits
    # for a reload to reach new connections).
    location = /__generation {{
      access_log off;
      return 200 '{generation}';
    }}
    location / {{
      proxy_pass http://flashstudio;
{upstream_http}      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      # A refused connection (a replica that stopped accepting) goes to the next replica;
      # a request already sent is never sent twice (no non_idempotent).
      proxy_next_upstream error timeout;
      proxy_read_timeout 60s;
    }}
  }}
}}
"
        );
        std::fs::write(self.root.join("nginx.conf"), conf).unwrap();
    }

    /// Rewrites the upstream list and reloads; returns once new connections get it.
    async fn set_upstreams(&self, ready: &BTreeSet<usize>) {
        let generation = {
            let mut g = self.generation.lock().unwrap();
            *g += 1;
            *g
        };
        self.write_config(ready, generation);
        let pid = self
            .master
            .lock()
            .unwrap()
            .as_ref()
            .map(std::process::Child::id)
            .expect("nginx runs");
        let status = Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .await
            .unwrap();
        assert!(status.success(), "kill -HUP nginx");
        self.wait_for_generation(generation).await;
    }

    /// Waits until a new connection to nginx is served by a worker of `generation`.
    async fn wait_for_generation(&self, generation: u64) {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let url = format!("http://127.0.0.1:{}/__generation", self.port);
        let want = generation.to_string();
        support::eventually(
            &format!("nginx to run configuration {generation}"),
            Duration::from_secs(30),
            || {
                let request = client.get(&url).send();
                let want = want.clone();
                async move {
                    let body = request.await.ok()?.text().await.ok()?;
                    (body == want).then_some(())
                }
            },
        )
        .await;
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // TERM to the master stops its workers too (a KILL would leave them behind).
        if let Some(mut master) = self.master.lock().ok().and_then(|mut m| m.take()) {
            std::process::Command::new("kill")
                .args(["-TERM", &master.id().to_string()])
                .status()
                .ok();
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while std::time::Instant::now() < deadline {
                if matches!(master.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            master.kill().ok();
            master.wait().ok();
        }
    }
}

async fn signal(child: &Child, which: &str) {
    let pid = child.id().expect("the process is running").to_string();
    let status = Command::new("kill")
        .args([which, &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success(), "kill {which} {pid}");
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// The readiness watcher: one poller per replica (`GET /ready` every 100 ms), and one task
/// that puts the set of ready replicas into nginx whenever it changes.
struct Watcher {
    shared: Arc<Mutex<WatchState>>,
    stop: CancellationToken,
}

#[derive(Default)]
struct WatchState {
    /// What each poller saw last.
    ready: BTreeSet<usize>,
    /// What nginx runs now.
    applied: BTreeSet<usize>,
    events: Vec<String>,
}

impl Watcher {
    fn start(nginx: Arc<Nginx>, ports: Vec<u16>) -> Self {
        let shared = Arc::new(Mutex::new(WatchState::default()));
        let stop = CancellationToken::new();
        let changed = Arc::new(tokio::sync::Notify::new());
        let started = Instant::now();
        for (n, port) in ports.iter().copied().enumerate() {
            let (shared, stop, changed) = (Arc::clone(&shared), stop.clone(), Arc::clone(&changed));
            tokio::spawn(async move {
                // A probe of its own, like the kubelet's: a new connection every time.
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(0)
                    .timeout(Duration::from_secs(2))
                    .build()
                    .unwrap();
                let url = format!("http://127.0.0.1:{port}/ready");
                while !stop.is_cancelled() {
                    let ready = client
                        .get(&url)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    let flipped = {
                        let mut s = shared.lock().unwrap();
                        if ready {
                            s.ready.insert(n)
                        } else {
                            s.ready.remove(&n)
                        }
                    };
                    if flipped {
                        changed.notify_one();
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            });
        }
        let (state, stopped) = (Arc::clone(&shared), stop.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = changed.notified() => {}
                    () = stopped.cancelled() => return,
                }
                loop {
                    let want = state.lock().unwrap().ready.clone();
                    if want == state.lock().unwrap().applied {
                        break;
                    }
                    let began = Instant::now();
                    nginx.set_upstreams(&want).await;
                    let mut s = state.lock().unwrap();
                    s.events.push(format!(
                        "{:>7.2} s: upstreams {want:?} (reload took {} ms)",
                        started.elapsed().as_secs_f64(),
                        began.elapsed().as_millis()
                    ));
                    s.applied = want;
                }
            }
        });
        Self { shared, stop }
    }

    /// nginx sends new requests to replica `n`.
    fn in_rotation(&self, n: usize) -> bool {
        self.shared.lock().unwrap().applied.contains(&n)
    }

    fn events(&self) -> Vec<String> {
        self.shared.lock().unwrap().events.clone()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
