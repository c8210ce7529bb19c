//! The command table's families, in the order `COMMAND` lists them.
//! Adding a family is one line here.

use super::spec::Spec;
use super::{
    acl, bits, client, config, connection, databases, deadletters, dump, geo, hashes, hyperloglog,
    info, introspect, key_status, keys, latency, list, memory, persistence, pubsub, script, server,
    set, shutdown, slowlog, sort, stream, strings, transactions, writebehind, zset,
};

pub(super) const FAMILIES: &[&[Spec]] = &[
    connection::SPECS,
    client::SPECS,
    introspect::SPECS,
    server::SPECS,
    config::SPECS,
    info::SPECS,
    persistence::SPECS,
    shutdown::SPECS,
    slowlog::SPECS,
    latency::SPECS,
    memory::SPECS,
    databases::SPECS,
    writebehind::SPECS,
    key_status::SPECS,
    deadletters::SPECS,
    transactions::SPECS,
    strings::SPECS,
    hashes::SPECS,
    list::SPECS,
    keys::SPECS,
    dump::SPECS,
    zset::SPECS,
    set::SPECS,
    sort::SPECS,
    bits::SPECS,
    hyperloglog::SPECS,
    geo::SPECS,
    stream::SPECS,
    acl::SPECS,
    script::SPECS,
    pubsub::SPECS,
];
