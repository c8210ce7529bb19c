//! CLIENT LIST and CLIENT INFO: the registry's clients, one line each, in
//! Redis 7.0's fields (the line itself is `ClientEntry::info_line`).

use jotter_resp::Request;

use crate::clients::{ClientEntry, ClientType};
use crate::command::args::parse_i64;
use crate::command::spec::{Ctx, Flow, Table};

pub(super) const HELP: &[&[u8]] = &[
    b"LIST [options ...]",
    b"    Return information about client connections. Options:",
    b"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    b"      Return clients of specified type.",
];

/// `CLIENT LIST [TYPE type | ID id ...]`: as Redis, the two do not
/// combine, and IDs are listed in the order given (an ID not connected is
/// skipped).
pub(super) fn list(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let option = req.arg(2).unwrap_or_default();
    let clients: Vec<_> = if req.len() == 4 && option.eq_ignore_ascii_case(b"TYPE") {
        let name = req.arg(3).unwrap_or_default();
        let Some(kind) = ClientType::parse(name) else {
            let text = format!("ERR Unknown client type '{}'", String::from_utf8_lossy(name));
            ctx.reply().error(text.as_bytes());
            return Flow::Continue;
        };
        ctx.shared.clients.list().into_iter().filter(|c| c.kind() == kind).collect()
    } else if req.len() > 3 && option.eq_ignore_ascii_case(b"ID") {
        let mut clients = Vec::new();
        for arg in req.args().skip(3) {
            let Some(id) = parse_i64(arg) else {
                ctx.reply().error(b"ERR Invalid client ID");
                return Flow::Continue;
            };
            clients.extend(u64::try_from(id).ok().and_then(|id| ctx.shared.clients.get(id)));
        }
        clients
    } else if req.len() != 2 {
        ctx.syntax_error();
        return Flow::Continue;
    } else {
        ctx.shared.clients.list()
    };
    let mut text = String::new();
    for client in &clients {
        line(ctx, req, client, &mut text);
    }
    ctx.reply().verbatim(*b"txt", text.as_bytes());
    Flow::Continue
}

/// `CLIENT INFO`: the caller's own line.
pub(super) fn info(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let mut text = String::new();
    let me = ctx.session.entry.clone();
    line(ctx, req, &me, &mut text);
    ctx.reply().verbatim(*b"txt", text.as_bytes());
    Flow::Continue
}

/// One client's line; the caller's own shows the bytes of the command
/// running (`argv-mem`), as Redis's does.
fn line(ctx: &Ctx<'_>, req: &Request, client: &ClientEntry, out: &mut String) {
    let argv_mem =
        if client.id == ctx.session.entry.id { req.args().map(<[u8]>::len).sum() } else { 0 };
    client.info_line(out, argv_mem, |index, sub| command_name(ctx.commands, index, sub));
}

/// The full name of a command of the table (`client|list` for a
/// subcommand), for `cmd=`.
pub(crate) fn command_name(commands: &Table, index: usize, sub: Option<usize>) -> Option<String> {
    let spec = commands.specs().get(index)?;
    Some(match sub.and_then(|s| spec.subs.get(s)) {
        Some(sub) => format!("{}|{}", spec.name, sub.name),
        None => spec.name.to_owned(),
    })
}
