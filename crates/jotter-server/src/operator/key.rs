//! `jotter key KEY [--from-store]`: `JOTTER.KEY` on a running server, printed
//! as field and value lines, or as JSON with the admin port's snake_case
//! names (`GET /keys/KEY`).

use std::process::ExitCode;

use jotter_resp::Frame;
use serde_json::Value;

use super::remote::{Remote, RemoteError};
use super::render;
use crate::cli::KeyArgs;

/// Asks the server where `args.key`'s latest write is and prints it.
pub(crate) async fn run(remote: &mut Remote, args: &KeyArgs) -> anyhow::Result<ExitCode> {
    let mut request = vec!["JOTTER.KEY".as_bytes(), args.key.as_bytes()];
    if args.from_store {
        request.push(b"FROM-STORE");
    }
    let reply = remote.call(&request).await?;
    let pairs: Vec<(&Frame, &Frame)> = match &reply {
        Frame::Map(pairs) => pairs.iter().map(|(k, v)| (k, v)).collect(),
        Frame::Array(flat) if flat.len() % 2 == 0 => {
            flat.chunks_exact(2).map(|p| (&p[0], &p[1])).collect()
        }
        other => return Err(RemoteError::unexpected(remote, "JOTTER.KEY", other).into()),
    };
    let fields: Vec<(String, &Frame)> =
        pairs.into_iter().map(|(k, v)| (field_name(k), v)).collect();
    if args.target.json {
        // Written pair by pair, so the fields keep the reply's order.
        let pairs: Vec<String> = fields
            .iter()
            .map(|(name, value)| format!("{}:{}", Value::from(name.replace('-', "_")), json(value)))
            .collect();
        println!("{{{}}}", pairs.join(","));
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> =
        fields.iter().map(|(name, value)| vec![name.clone(), shown(name, value)]).collect();
    print!("{}", render::table(&["FIELD", "VALUE"], &rows));
    Ok(ExitCode::SUCCESS)
}

fn field_name(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) => render::printable(b),
        other => format!("{other:?}"),
    }
}

/// A reply value as JSON: integers as numbers, strings through
/// [`render::printable`], null as null, arrays as arrays.
fn json(frame: &Frame) -> Value {
    match frame {
        Frame::Integer(n) => Value::from(*n),
        Frame::Bulk(b) | Frame::Simple(b) | Frame::Verbatim { text: b, .. } => {
            Value::String(render::printable(b))
        }
        Frame::Null | Frame::NullArray => Value::Null,
        Frame::Array(items) | Frame::Set(items) => Value::Array(items.iter().map(json).collect()),
        Frame::Boolean(b) => Value::Bool(*b),
        Frame::Double(d) => Value::from(*d),
        other => Value::String(format!("{other:?}")),
    }
}

/// A reply value in the table: times also as UTC, null as `-`.
fn shown(name: &str, frame: &Frame) -> String {
    match frame {
        Frame::Null | Frame::NullArray => "-".to_owned(),
        Frame::Integer(ms) if name == "pending-since" && *ms >= 0 => {
            format!("{ms} ({} UTC)", render::utc(*ms as u64))
        }
        Frame::Array(items) | Frame::Set(items) => {
            let items: Vec<String> = items.iter().map(|i| shown("", i)).collect();
            if items.is_empty() { "-".to_owned() } else { items.join(", ") }
        }
        Frame::Bulk(b) | Frame::Simple(b) => render::cell(b, None),
        Frame::Integer(n) => n.to_string(),
        other => json(other).to_string(),
    }
}
