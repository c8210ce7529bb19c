//! The command table's families, in the order `COMMAND` lists them.
//! Adding a family is one line here.

use super::spec::Spec;
use super::{
    bits, connection, deadletters, dump, geo, hashes, hyperloglog, key_status, keys, list, pubsub,
    server, set, sort, stream, strings, transactions, writebehind, zset,
};

pub(super) const FAMILIES: &[&[Spec]] = &[
    connection::SPECS,
    server::SPECS,
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
    pubsub::SPECS,
];
