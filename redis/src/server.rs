//! A throwaway `redis-server` on 127.0.0.1 for tests and examples.
//!
//! [`LocalServer`] runs Debian's `redis-server` binary (installed by
//! `scripts/bootstrap.sh`) as a child process on a free port with its own
//! temporary directory, and kills it when dropped. `--port 0` is not valid
//! for redis-server, so the port is found by binding a `TcpListener` to
//! `127.0.0.1:0` and releasing it; if another process takes the port in
//! between, the server fails to bind and the next port is tried.

use std::io::{self, Read};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process on `127.0.0.1`, killed on drop.
///
/// ```no_run
/// let server = brigade_redis::LocalServer::start().unwrap();
/// let mut conn = server.client().get_connection().unwrap();
/// let pong: String = redis::cmd("PING").query(&mut conn).unwrap();
/// assert_eq!(pong, "PONG");
/// ```
#[derive(Debug)]
pub struct LocalServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    aof: bool,
}

impl LocalServer {
    /// Starts a server without persistence (`--save '' --appendonly no`).
    ///
    /// # Errors
    /// If `redis-server` is not installed (the message says how to install
    /// it), or no port could be bound after several tries.
    pub fn start() -> io::Result<Self> {
        Self::launch(false)
    }

    /// Starts a server with the append-only file on and `appendfsync
    /// always`: every write it acknowledged survives a kill and restart.
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub fn start_with_aof() -> io::Result<Self> {
        Self::launch(true)
    }

    fn launch(aof: bool) -> io::Result<Self> {
        let mut dir = tempfile::Builder::new()
            .prefix("brigade-redis-")
            .tempdir()?;
        let mut last = None;
        for _ in 0..20 {
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let mut server = LocalServer {
                child: None,
                port,
                dir,
                aof,
            };
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(e) => {
                    dir = std::mem::replace(&mut server.dir, tempfile::tempdir()?);
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("redis-server did not start")))
    }

    fn spawn(&mut self) -> io::Result<()> {
        let log = self.dir.path().join("redis.log");
        let _ = std::fs::remove_file(&log);
        let mut cmd = Command::new("redis-server");
        cmd.arg("--port")
            .arg(self.port.to_string())
            .args(["--bind", "127.0.0.1", "--daemonize", "no", "--save", ""])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(&log);
        if self.aof {
            cmd.args(["--appendonly", "yes", "--appendfsync", "always"]);
        } else {
            cmd.args(["--appendonly", "no"]);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                if e.kind() == io::ErrorKind::NotFound {
                    io::Error::new(
                        e.kind(),
                        "redis-server not found: install Debian's redis-server \
                         (scripts/bootstrap.sh does)",
                    )
                } else {
                    e
                }
            })?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        let client = self.client();
        loop {
            if let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_millis(200)) {
                // Loading a large AOF answers LOADING for a while.
                if redis::cmd("PING").query::<String>(&mut conn).is_ok() {
                    return Ok(());
                }
            }
            let child = self.child.as_mut().expect("spawned above");
            if let Some(status) = child.try_wait()? {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                self.child = None;
                return Err(io::Error::other(format!(
                    "redis-server exited ({status}) on port {}: {}{}",
                    self.port,
                    err.trim(),
                    tail(&log)
                )));
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(io::Error::other(format!(
                    "redis-server on port {} did not answer PING within 10 s{}",
                    self.port,
                    tail(&log)
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A client for this server.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(self.url()).expect("a valid redis URL")
    }

    /// The server process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the server with SIGKILL and waits for it to exit. What was not
    /// persisted is lost (nothing is, with [`start_with_aof`](Self::start_with_aof)).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and directory (after
    /// [`kill`](Self::kill); kills it first if it still runs). With AOF on,
    /// it reloads every acknowledged write.
    ///
    /// # Errors
    /// If it cannot bind the port again or does not answer within 10 s.
    pub fn restart(&mut self) -> io::Result<()> {
        self.kill();
        let mut last = None;
        for _ in 0..50 {
            match self.spawn() {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(last.unwrap_or_else(|| io::Error::other("redis-server did not restart")))
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn tail(log: &Path) -> String {
    match std::fs::read_to_string(log) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let from = lines.len().saturating_sub(5);
            format!("\nlast lines of its log:\n{}", lines[from..].join("\n"))
        }
        Err(_) => String::new(),
    }
}
