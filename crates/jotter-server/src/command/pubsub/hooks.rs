//! Where pub/sub meets the rest of the server: what runs after a command
//! (keyspace events and tracking invalidations for the keys it wrote, the
//! keys a tracking client read), when a connection drains its outbox or
//! ends, and the engine's hook for writes reaching the store and keys the
//! expiry sweep deletes.
//!
//! The keys a command wrote are its engine tickets' keys, noted by
//! `data::acknowledge` ([`note_written`]) only while notifications are on
//! or a client tracks; otherwise each hook is an atomic load or two.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use jotter::{KeyEvent, Ticket};
use jotter_resp::{Protocol, Request};

use super::super::spec::{Ctx, Spec, flag};
use super::events::{destination_first, events};
use super::notify::{self, EXPIRED, STORED};
use super::tracking::show_state;
use crate::session::Session;
use crate::state::Shared;

/// Notes the keys a command's writes (`tickets`) changed, for the hook
/// that runs after it.
pub(crate) fn note_written(shared: &Shared, session: &mut Session, tickets: &[Ticket]) {
    if shared.pubsub.watching() {
        session.written.extend(tickets.iter().cloned());
    }
}

/// After a data command (`keys` are the keys it declared): an event per
/// key it wrote, invalidations, and the keys a tracking client read.
pub(crate) fn after_data(spec: &Spec, req: &Request, keys: &[Bytes], ctx: &mut Ctx<'_>) {
    published(spec, req, ctx);
    if ctx.session.tracking.on() {
        if spec.has(flag::READONLY) && ctx.session.tracking.remembers_reads() {
            ctx.shared.pubsub.tracking.remember(&ctx.shared.clients, ctx.session.entry.id, keys);
        }
        ctx.session.tracking.command_done();
    }
}

/// After `EXEC` ran `commands` (table index, request): as
/// [`after_data`] for each data command.
pub(crate) fn after_exec(commands: &[(usize, Request)], ctx: &mut Ctx<'_>) {
    let table = ctx.commands.specs();
    let mut written = std::mem::take(&mut ctx.session.written);
    if !written.is_empty() {
        let writes: Vec<(&Spec, &Request, Vec<Bytes>)> = commands
            .iter()
            .map(|(index, req)| (table[*index], req))
            .filter(|(spec, _)| spec.has(flag::WRITE))
            .map(|(spec, req)| (spec, req, spec.data_keys(req).unwrap_or_default()))
            .collect();
        for (at, (spec, req, keys)) in writes.iter().enumerate() {
            for key in keys {
                let Some(ticket) = written.iter().find(|t| t.key() == key) else { continue };
                // The transaction's end state is the last write's to judge.
                let last = !writes[at + 1..].iter().any(|(_, _, later)| later.contains(key));
                publish_events(ctx.shared, spec, req, key, ticket.deletes() && last);
            }
        }
        wrote(ctx, &written);
        written.clear();
    }
    ctx.session.written = written;
    if ctx.session.tracking.remembers_reads() {
        for (index, req) in commands {
            let spec = table[*index];
            if spec.has(flag::READONLY)
                && let Some(keys) = spec.data_keys(req)
            {
                ctx.shared.pubsub.tracking.remember(
                    &ctx.shared.clients,
                    ctx.session.entry.id,
                    &keys,
                );
            }
        }
    }
}

/// The events and invalidations of the keys the command wrote.
fn published(spec: &Spec, req: &Request, ctx: &mut Ctx<'_>) {
    let mut written = std::mem::take(&mut ctx.session.written);
    if !written.is_empty() {
        if destination_first(spec) {
            written.reverse();
        }
        // A script's writes published their commands' events as it ended
        // (`after_exec`); none is published under the script's name.
        if spec.group != "scripting" {
            for ticket in &written {
                publish_events(ctx.shared, spec, req, ticket.key(), ticket.deletes());
            }
        }
        wrote(ctx, &written);
        written.clear();
    }
    ctx.session.written = written;
}

/// After a control command: what it wrote through the engine (SORT ...
/// STORE), as after a data command; a flush invalidates every tracking
/// client's cache; `CLIENT CACHING` holds for one command.
pub(crate) fn after_control(spec: &Spec, req: &Request, ctx: &mut Ctx<'_>) {
    published(spec, req, ctx);
    if matches!(spec.name, "flushdb" | "flushall") {
        ctx.shared.pubsub.tracking.flushed(&ctx.shared.clients);
    }
    if ctx.session.tracking.on() {
        ctx.session.tracking.command_done();
    }
}

/// Invalidations for the keys `written` by this client.
fn wrote(ctx: &Ctx<'_>, written: &[Ticket]) {
    let shared = ctx.shared;
    if shared.pubsub.tracking.any() {
        let keys: Vec<Bytes> = written.iter().map(|t| t.key().clone()).collect();
        shared.pubsub.tracking.invalidate(&shared.clients, ctx.session.entry.id, &keys);
    }
}

/// The keyspace events of a command's write of `key`.
fn publish_events(shared: &Shared, spec: &Spec, req: &Request, key: &[u8], deletes: bool) {
    let pubsub = &shared.pubsub;
    if pubsub.notify.get() == 0 {
        return;
    }
    for (class, name) in events(spec, req, key, deletes) {
        notify::notify(&pubsub.notify, &pubsub.registry, class, name, key);
    }
}

/// Writes the messages waiting in the client's outbox into `out`. A RESP2
/// client not in subscriber mode cannot take an invalidation (RESP2 has
/// no out-of-band frame), so it gets none, as in Redis.
pub(crate) fn drain_outbox(session: &Session, out: &mut BytesMut) {
    let outbox = &session.entry.outbox;
    if outbox.is_empty() {
        return;
    }
    let listening = session.protocol == Protocol::Resp3 || session.subscriptions.active();
    outbox.drain(out, session.protocol, listening);
}

/// When a connection ends: its subscriptions and tracking go.
pub(crate) fn leave(shared: &Shared, session: &mut Session) {
    let id = session.entry.id;
    shared.pubsub.registry.leave(&mut session.subscriptions, id);
    if session.tracking.on() {
        shared.pubsub.tracking.disable(id);
    }
    session.tracking = super::Tracking::default();
    show_state(session);
}

/// Listens to the engine: publishes `stored` (class `w`) for each key
/// whose write reaches the store, and `expired` (class `x`) for each key
/// the expiry sweep deletes, whose tracking clients are also told. With
/// the classes off, a stored write costs one atomic load.
pub(crate) fn watch_key_events(shared: &Arc<Shared>) {
    let setting = Arc::clone(&shared.pubsub.notify);
    let registry = Arc::clone(&shared.pubsub.registry);
    // Weak: the engine holding the server's state would keep both alive.
    let server = Arc::downgrade(shared);
    shared.cache.on_key_event(Box::new(move |event, key| match event {
        KeyEvent::Stored => {
            if setting.wants(STORED) {
                notify::notify(&setting, &registry, STORED, "stored", key);
            }
        }
        KeyEvent::Expired => {
            notify::notify(&setting, &registry, EXPIRED, "expired", key);
            if let Some(shared) = server.upgrade() {
                // No client wrote it: NOLOOP spares no one (ids start at 1).
                let keys = [Bytes::copy_from_slice(key)];
                shared.pubsub.tracking.invalidate(&shared.clients, 0, &keys);
            }
        }
    }));
}
