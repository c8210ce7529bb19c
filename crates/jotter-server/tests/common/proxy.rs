//! A TCP proxy that a test can cut and restore, to make a database
//! unreachable without stopping it (other tests share it).
//!
//! Cut: every open connection is shut down and every new one is accepted
//! and closed at once, as a database that went away would look to its
//! clients. Restored: new connections are relayed to the target again.
//! Held: bytes already sent are kept in the proxy, not delivered, until
//! released (a write that reaches the database late).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub struct Proxy {
    pub port: u16,
    state: Arc<State>,
}

struct State {
    cut: AtomicBool,
    /// Bytes read are not forwarded while set.
    held: AtomicBool,
    /// Bytes arrived while held (and wait for the release).
    holding: AtomicBool,
    /// Both ends of every relayed connection, to shut down on a cut.
    open: Mutex<Vec<TcpStream>>,
}

impl Proxy {
    /// A proxy on an ephemeral port of 127.0.0.1 to `target`, cut or not.
    pub fn start(target: SocketAddr, cut: bool) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State {
            cut: AtomicBool::new(cut),
            held: AtomicBool::new(false),
            holding: AtomicBool::new(false),
            open: Mutex::new(Vec::new()),
        });
        let shared = state.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if shared.cut.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(target) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                {
                    let mut open = shared.open.lock().unwrap();
                    open.push(client.try_clone().unwrap());
                    open.push(server.try_clone().unwrap());
                }
                relay(client.try_clone().unwrap(), server.try_clone().unwrap(), shared.clone());
                relay(server, client, shared.clone());
            }
        });
        Proxy { port, state }
    }

    /// Shuts down every open connection and refuses new ones.
    pub fn cut(&self) {
        self.state.cut.store(true, Ordering::SeqCst);
        for stream in self.state.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Relays new connections again.
    pub fn restore(&self) {
        self.state.cut.store(false, Ordering::SeqCst);
    }

    /// Keeps every byte sent from now on in the proxy until [`release`](Self::release).
    pub fn hold(&self) {
        self.state.holding.store(false, Ordering::SeqCst);
        self.state.held.store(true, Ordering::SeqCst);
    }

    /// Whether bytes arrived since [`hold`](Self::hold) and are kept.
    pub fn holding(&self) -> bool {
        self.state.holding.load(Ordering::SeqCst)
    }

    /// Delivers what was kept, and relays again.
    pub fn release(&self) {
        self.state.held.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

/// Copies `from` to `to` on a thread of its own until either end closes.
fn relay(mut from: TcpStream, mut to: TcpStream, state: Arc<State>) {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    while state.held.load(Ordering::SeqCst) {
                        state.holding.store(true, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}
