//! BITFIELD and BITFIELD_RO: a list of GET, SET and INCRBY operations on
//! integer fields, with OVERFLOW changing how the writes after it
//! overflow. Every operation is parsed before the key is touched (a bad
//! one fails the whole command), then they run in order.

use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};

use super::integer::{FieldType, Overflow};
use super::value::{arg, bit_offset, bitmap, key, writable, write_back};
use crate::command::args::parse_i64;
use crate::command::fail::{self, Fail, Outcome};

#[derive(Clone, Copy)]
enum Action {
    Get,
    Set(i64),
    IncrBy(i64),
}

struct Operation {
    action: Action,
    field: FieldType,
    offset: u64,
    overflow: Overflow,
}

pub(super) fn bitfield(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    run(req, txn, w, false)
}

pub(super) fn bitfield_ro(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    run(req, txn, w, true)
}

fn run(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>, read_only: bool) -> Outcome {
    let ops = parse(req, read_only)?;
    let key = key(req);
    // The last bit a write reaches: the string grows to hold it (and a
    // missing key is created) even if every write then fails.
    let last_write = ops
        .iter()
        .filter(|op| !matches!(op.action, Action::Get))
        .map(|op| op.offset + u64::from(op.field.bits) - 1)
        .max();
    let Some(last_write) = last_write else {
        let bytes = bitmap(txn, key)?.cloned().unwrap_or_default();
        w.array(ops.len());
        for op in &ops {
            w.integer(op.field.get(&bytes, op.offset));
        }
        return Ok(());
    };
    let mut bytes = writable(txn, key, last_write)?;
    w.array(ops.len());
    for op in &ops {
        let old = op.field.get(&bytes, op.offset);
        let (result, reply) = match op.action {
            Action::Get => {
                w.integer(old);
                continue;
            }
            Action::Set(value) => (op.field.add(value, 0, op.overflow), old),
            Action::IncrBy(incr) => {
                let result = op.field.add(old, incr, op.overflow);
                (result, result.unwrap_or_else(|wrapped| wrapped))
            }
        };
        match result {
            Err(_) if op.overflow == Overflow::Fail => w.null(),
            Ok(new) | Err(new) => {
                op.field.set(&mut bytes, op.offset, new);
                w.integer(reply);
            }
        }
    }
    write_back(txn, key, bytes);
    Ok(())
}

/// The operations, as Redis's `bitfieldGeneric` parses them.
fn parse(req: &Request, read_only: bool) -> Result<Vec<Operation>, Fail> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < req.len() {
        let left = req.len() - j - 1;
        let sub = arg(req, j).to_ascii_lowercase();
        let action = match sub.as_slice() {
            b"get" if left >= 2 => Action::Get,
            b"set" if left >= 3 => Action::Set(0),
            b"incrby" if left >= 3 => Action::IncrBy(0),
            b"overflow" if left >= 1 => {
                overflow = match arg(req, j + 1).to_ascii_lowercase().as_slice() {
                    b"wrap" => Overflow::Wrap,
                    b"sat" => Overflow::Sat,
                    b"fail" => Overflow::Fail,
                    _ => return Err(fail::error("ERR Invalid OVERFLOW type specified")),
                };
                j += 2;
                continue;
            }
            _ => return Err(fail::syntax()),
        };
        let field = FieldType::parse(arg(req, j + 1)).ok_or_else(|| {
            fail::error(
                "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            )
        })?;
        let offset = bit_offset(arg(req, j + 2), Some(field.bits))?;
        let action = match action {
            Action::Get => action,
            Action::Set(_) | Action::IncrBy(_) => {
                let value = parse_i64(arg(req, j + 3)).ok_or_else(fail::not_integer)?;
                if matches!(action, Action::Set(_)) {
                    Action::Set(value)
                } else {
                    Action::IncrBy(value)
                }
            }
        };
        ops.push(Operation { action, field, offset, overflow });
        j += if matches!(action, Action::Get) { 3 } else { 4 };
    }
    // Refused once every operation parsed, as Redis does.
    if read_only && ops.iter().any(|op| !matches!(op.action, Action::Get)) {
        return Err(fail::error("ERR BITFIELD_RO only supports the GET subcommand"));
    }
    Ok(ops)
}
