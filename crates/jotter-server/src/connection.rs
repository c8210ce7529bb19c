//! One client connection: read into a buffer, decode every whole request in
//! it, execute them in order with their replies appended to one output
//! buffer, then write that buffer once. A pipeline of a thousand commands
//! costs one read and one write, not a thousand of each.
//!
//! A command that may block (BZPOPMIN, ...) is different: the replies
//! before it are sent first, and while it runs the connection keeps
//! reading, so that it notices the client closing (the command then stops
//! without popping for no one, and the connection ends); requests read
//! meanwhile wait in the input buffer for their turn.
//!
//! Between batches it also waits for its outbox (`outbox.rs`): messages
//! other connections publish to it are written as soon as they come.
//!
//! The connection ends when the client closes, after QUIT, on a protocol
//! error (replied, then closed: RESP cannot resynchronise; other clients
//! are unaffected), after `timeout` idle seconds, when its pending output
//! passes `client-output-buffer-limit` or would take the server past
//! `maxmemory` (see `client_memory.rs`), or when it is killed (`CLIENT KILL`,
//! server stop) — then after its current command and its reply.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use jotter_resp::{Limits, ReplyWriter, RequestDecoder};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use crate::clients::{ClientEntry, flags};
use crate::command::{self, Ctx, Flow};
use crate::config::FsyncSetting;
use crate::session::Session;
use crate::state::Shared;

/// Output capacity kept between batches; a larger buffer (after a big
/// reply) is dropped rather than held for the connection's lifetime.
const KEEP_OUTPUT: usize = 1 << 20;

/// How long a stopping or killed client's last replies may take to send.
const LAST_WRITE_GRACE: Duration = Duration::from_secs(1);

/// Serves one client until it ends, then unregisters it.
pub(crate) async fn serve<S>(stream: S, entry: Arc<ClientEntry>, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let id = entry.id;
    shared.metrics.connected.increment(1.0);
    let mut session = Session::new(entry, shared.users.default_open(), shared.users.default_user());
    let mut stream = stream;
    if let Err(e) = run(&mut stream, &mut session, &shared).await {
        tracing::debug!(client = id, error = %e, "connection ended with an I/O error");
    }
    command::settle_counts(&shared, &mut session);
    command::leave(&shared, &mut session);
    // Unregistered before the socket closes: a client that sees it close
    // (after CLIENT KILL, say) no longer finds it in CLIENT LIST or KILL.
    shared.clients.remove(id);
    shared.metrics.connected.decrement(1.0);
    drop(stream);
}

async fn run<S>(mut stream: S, session: &mut Session, shared: &Shared) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let config = &shared.config;
    let limits = Limits::new().with_max_bulk_len(config.proto_max_bulk_len.0.0);
    let mut decoder = RequestDecoder::new(limits);
    decoder.set_authenticated(session.authenticated);
    let output_limit = usize::try_from(config.client_output_buffer_limit.0.0).unwrap_or(usize::MAX);
    let kill = session.entry.kill.clone();
    let maxmemory = config.maxmemory.0.0;
    let mut held = shared.client_memory.holder();
    let mut timeout_changed = shared.live.timeout_changes();
    let mut input = BytesMut::with_capacity(16 * 1024);
    let mut output = BytesMut::with_capacity(16 * 1024);
    session.entry.buffers.written(output.capacity());
    loop {
        let mut flow = Flow::Continue;
        loop {
            match decoder.decode(&mut input) {
                Ok(Some(request)) => {
                    // Messages that came before the command go before its reply.
                    command::drain_outbox(session, &mut output);
                    let found = command::lookup(request.name());
                    // Where this command's reply starts, for CLIENT REPLY.
                    let mut mark = output.len();
                    flow = if session.multi.is_none() && command::may_block(found, &request) {
                        // Redis sends the replies before a blocked one.
                        if !send(&mut stream, &mut output, session, shared, &kill).await? {
                            return Ok(());
                        }
                        mark = 0;
                        let blocking = Blocking { found, request: &request, shared };
                        let ran = blocking
                            .run(&mut stream, &mut input, &decoder, session, &mut output)
                            .await?;
                        match ran {
                            Some(flow) => flow,
                            None => return Ok(()), // the client closed
                        }
                    } else {
                        if shared.pause.engaged() && !output.is_empty() {
                            // The command may be held by CLIENT PAUSE: the
                            // replies before it go first, as Redis's do.
                            if !send(&mut stream, &mut output, session, shared, &kill).await? {
                                return Ok(());
                            }
                            mark = 0;
                        }
                        let mut ctx = Ctx::new(shared, session, command::table(), &mut output);
                        command::execute_found(found, &request, &mut ctx).await
                    };
                    if !session.reply_mode.is_on() {
                        session.reply_mode.after(&mut output, mark);
                    }
                    decoder.set_authenticated(session.authenticated);
                    decoder.recycle(request);
                    if output_limit > 0 && output.len() > output_limit {
                        tracing::warn!(
                            client = session.entry.id,
                            bytes = output.len(),
                            "closing a client whose pending output passed client-output-buffer-limit"
                        );
                        return Ok(());
                    }
                    if held.over(output.len(), maxmemory, || shared.cache.memory_used())
                        && !session.entry.has_flag(flags::NO_EVICT)
                    {
                        tracing::warn!(
                            client = session.entry.id,
                            bytes = output.len(),
                            "closing a client whose pending output would take the server past maxmemory"
                        );
                        return Ok(());
                    }
                    if flow == Flow::Close || kill.is_cancelled() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    ReplyWriter::new(&mut output, session.protocol).protocol_error(error);
                    tracing::debug!(client = session.entry.id, %error, "protocol error; closing");
                    send(&mut stream, &mut output, session, shared, &kill).await?;
                    return Ok(());
                }
            }
        }
        command::drain_outbox(session, &mut output);
        if !send(&mut stream, &mut output, session, shared, &kill).await? {
            return Ok(());
        }
        held.sent();
        if flow == Flow::Close || kill.is_cancelled() {
            return Ok(());
        }
        decoder.reserve(&mut input);
        let since = tokio::time::Instant::now();
        // A subscriber waits for messages too, and is never idle (as in Redis).
        let subscriber = session.subscriptions.active();
        let read = loop {
            tokio::select! {
                read = stream.read_buf(&mut input) => break Some(read?),
                () = session.entry.outbox.ready() => break None,
                () = kill.cancelled() => return Ok(()),
                () = idle_for(shared.live.idle_limit().filter(|_| !subscriber), since) => {
                    tracing::debug!(client = session.entry.id, "closing an idle client (timeout)");
                    return Ok(());
                }
                // `CONFIG SET timeout` applies to a client already waiting.
                _ = timeout_changed.changed() => {}
            }
        };
        // No read: messages came, to be written.
        let Some(read) = read else { continue };
        if read == 0 {
            return Ok(()); // the client closed
        }
        session.entry.touch();
        session.entry.buffers.read_into(input.len(), input.capacity());
    }
}

/// Unread input a client may pile up behind a blocked command; past it
/// the connection stops reading until the command ends (and so notices the
/// client closing only then).
const MAX_INPUT_WHILE_BLOCKED: usize = 1 << 20;

/// A request that may block, with what it runs with.
struct Blocking<'r> {
    found: Option<(usize, &'static command::Spec)>,
    request: &'r jotter_resp::Request,
    shared: &'r Shared,
}

impl Blocking<'_> {
    /// Runs the command while reading the socket: bytes that arrive are
    /// kept in `input` for later; when the client closes (a read of 0 or a
    /// read error) the command is told ([`Ctx::client_closed`]) and ends
    /// at its next wait. It is never dropped midway, so a pop it made is
    /// in the output. `None`: the client closed, end the connection.
    async fn run<S: AsyncRead + Unpin>(
        self,
        stream: &mut S,
        input: &mut BytesMut,
        decoder: &RequestDecoder,
        session: &mut Session,
        output: &mut BytesMut,
    ) -> std::io::Result<Option<Flow>> {
        let closed = CancellationToken::new();
        let mut ctx = Ctx::new(self.shared, session, command::table(), output).watching(&closed);
        let mut running =
            std::pin::pin!(command::execute_found(self.found, self.request, &mut ctx));
        let mut failed = None;
        let mut reading = input.len() < MAX_INPUT_WHILE_BLOCKED;
        decoder.reserve(input);
        let flow = loop {
            tokio::select! {
                flow = &mut running => break flow,
                read = stream.read_buf(input), if reading => {
                    match read {
                        Ok(0) => closed.cancel(),
                        Ok(_) => decoder.reserve(input),
                        Err(e) => {
                            failed = Some(e);
                            closed.cancel();
                        }
                    }
                    reading = !closed.is_cancelled() && input.len() < MAX_INPUT_WHILE_BLOCKED;
                }
            }
        };
        if let Some(e) = failed {
            return Err(e);
        }
        Ok((!closed.is_cancelled()).then_some(flow))
    }
}

/// Waits until the writes whose replies are in the output buffer are
/// durable, once for the whole pipeline (a reply never leaves before its
/// write's log record is on disk as `fsync` says). If the log failed, the
/// replies must not be sent: false, and the connection is closed without
/// them, so the client cannot take a lost write for an acknowledged one.
async fn durable(session: &mut Session, shared: &Shared) -> bool {
    let pending = std::mem::take(&mut session.unacknowledged);
    if pending.is_empty() {
        return true;
    }
    if shared.config.fsync != FsyncSetting::Always {
        // Under everysec and no the task that waits writes the log's queue
        // itself. Yielding once first lets the other clients whose requests
        // arrived in this turn of the runtime queue their records, so one
        // `write` carries them all, as Redis writes its AOF buffer once per
        // turn of its event loop. (Under always the log's writer thread
        // already gathers the records of every client.)
        tokio::task::yield_now().await;
    }
    match pending.wait().await {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(client = session.entry.id, error = %e, "the log could not write; closing the connection without acknowledging");
            false
        }
    }
}

/// Ends once a client waiting since `since` has been idle for `idle`.
async fn idle_for(idle: Option<Duration>, since: tokio::time::Instant) {
    match idle {
        Some(d) => tokio::time::sleep_until(since + d).await,
        None => std::future::pending().await,
    }
}

/// Sends the replies in `output` once the writes they acknowledge are
/// durable, the commands they answer counted first (INFO read later sees
/// them); false when the log failed and the connection must close without
/// them.
async fn send<S: AsyncWrite + Unpin>(
    stream: &mut S,
    output: &mut BytesMut,
    session: &mut Session,
    shared: &Shared,
    kill: &CancellationToken,
) -> std::io::Result<bool> {
    if !durable(session, shared).await {
        return Ok(false);
    }
    command::settle_counts(shared, session);
    write_out(stream, output, kill, &session.entry).await?;
    Ok(true)
}

/// Writes and clears the output. A client that stops reading cannot hold
/// a stop or a kill forever: once killed, it has a short grace to take its
/// last replies.
async fn write_out<S: AsyncWrite + Unpin>(
    stream: &mut S,
    output: &mut BytesMut,
    kill: &tokio_util::sync::CancellationToken,
    entry: &ClientEntry,
) -> std::io::Result<()> {
    if output.is_empty() {
        return Ok(());
    }
    entry.buffers.writing(output.len(), output.capacity());
    let grace = async {
        kill.cancelled().await;
        tokio::time::sleep(LAST_WRITE_GRACE).await;
    };
    tokio::select! {
        written = stream.write_all(output) => written?,
        () = grace => return Ok(()),
    }
    if output.capacity() > KEEP_OUTPUT {
        *output = BytesMut::with_capacity(16 * 1024);
    } else {
        output.clear();
    }
    entry.buffers.written(output.capacity());
    Ok(())
}
