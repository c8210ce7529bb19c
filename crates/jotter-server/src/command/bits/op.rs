//! BITOP AND | OR | XOR | NOT: combines strings byte by byte into a
//! destination (a missing source is an empty string, and shorter sources
//! are padded with zeros); an empty result deletes the destination.

use bytes::Bytes;
use jotter::{Txn, Value};
use jotter_resp::{ReplyWriter, Request};

use super::value::{arg, bitmap};
use crate::command::fail::{self, Outcome};

#[derive(Clone, Copy)]
enum Op {
    And,
    Or,
    Xor,
    Not,
}

/// `BITOP operation destkey key [key ...]`: the result's length.
pub(super) fn bitop(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let op = match arg(req, 1).to_ascii_lowercase().as_slice() {
        b"and" => Op::And,
        b"or" => Op::Or,
        b"xor" => Op::Xor,
        b"not" => Op::Not,
        _ => return Err(fail::syntax()),
    };
    if matches!(op, Op::Not) && req.len() != 4 {
        return Err(fail::error("ERR BITOP NOT must be called with a single source key."));
    }
    let mut sources = Vec::with_capacity(req.len() - 3);
    for i in 3..req.len() {
        sources.push(bitmap(txn, arg(req, i))?.cloned().unwrap_or_default());
    }
    let len = sources.iter().map(Bytes::len).max().unwrap_or(0);
    let result = combine(op, &sources, len);
    let dst = arg(req, 2);
    if result.is_empty() {
        txn.delete(dst);
    } else {
        txn.put(dst, Value::Blob(Bytes::from(result)), None);
    }
    w.integer(len as i64);
    Ok(())
}

fn combine(op: Op, sources: &[Bytes], len: usize) -> Vec<u8> {
    let byte = |source: &Bytes, i: usize| source.get(i).copied().unwrap_or(0);
    (0..len)
        .map(|i| {
            let mut bytes = sources.iter().map(|s| byte(s, i));
            let first = bytes.next().unwrap_or(0);
            match op {
                Op::And => bytes.fold(first, |a, b| a & b),
                Op::Or => bytes.fold(first, |a, b| a | b),
                Op::Xor => bytes.fold(first, |a, b| a ^ b),
                Op::Not => !first,
            }
        })
        .collect()
}
