//! `jotter dead-letters list | replay | purge`: the same steps whether the
//! queue is a running server's (`JOTTER.DEADLETTERS` over RESP) or a data
//! directory's opened here ([`Queue`] has one implementation for each).
//!
//! A replay or purge of `--all` goes a chunk at a time: a page of ids, then
//! `REPLAY id...` of those ids, so that a progress bar can say how far it is
//! and a queue of a million letters is never one command. The cursor is the
//! last id seen, so letters that stay (refused again) are not visited twice.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context as _;
use jotter_resp::Frame;
use serde_json::json;

use super::letter::Letter;
use super::remote::{Remote, RemoteError};
use super::render::{self, Progress};
use crate::cli::{ListArgs, SelectArgs};
use crate::dead_letter_fields::counted;

/// Letters per step of a replay or purge of `--all`, and ids per command.
const CHUNK: u64 = 500;

/// One page of the queue and the cursor of the next ("0" after the last).
#[derive(Debug)]
pub(crate) struct Page {
    pub next: String,
    pub letters: Vec<Letter>,
}

/// A dead-letter queue: a server's, or a data directory's.
pub(crate) trait Queue {
    /// How many letters there are.
    async fn count(&mut self) -> anyhow::Result<u64>;
    /// Up to `count` letters after `cursor` ("0" = from the start).
    async fn page(&mut self, cursor: &str, count: u64) -> anyhow::Result<Page>;
    /// Replays these letters; how many left the queue.
    async fn replay(&mut self, ids: &[u64]) -> anyhow::Result<u64>;
    /// Purges these letters; how many were removed.
    async fn purge(&mut self, ids: &[u64]) -> anyhow::Result<u64>;
}

/// `list`: one page, or every page with `--all`.
pub(crate) async fn list(queue: &mut impl Queue, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let mut cursor = args.cursor.clone();
    let mut letters = Vec::new();
    loop {
        let page = queue.page(&cursor, args.count).await?;
        letters.extend(page.letters);
        cursor = page.next;
        if !args.all || cursor == "0" {
            break;
        }
    }
    let total = queue.count().await?;
    if args.target.json {
        #[derive(serde::Serialize)]
        struct List<'a> {
            cursor: &'a str,
            count: u64,
            letters: &'a [Letter],
        }
        let list = List { cursor: &cursor, count: total, letters: &letters };
        println!("{}", serde_json::to_string(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    let terminal = std::io::stdout().is_terminal();
    let rows: Vec<_> = letters.iter().map(|l| l.row(terminal)).collect();
    if !rows.is_empty() {
        print!("{}", render::table(&Letter::HEADER, &rows));
    }
    let shown = letters.len();
    if cursor == "0" {
        println!("{shown} shown, {} in all", counted(total));
    } else {
        println!(
            "{shown} shown, {} in all; next page: --cursor {cursor} (or --all)",
            counted(total)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What `replay` and `purge` do to the letters they select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Replay,
    Purge,
}

impl Action {
    fn past(self) -> &'static str {
        match self {
            Action::Replay => "replayed",
            Action::Purge => "purged",
        }
    }

    async fn run(self, queue: &mut impl Queue, ids: &[u64]) -> anyhow::Result<u64> {
        match self {
            Action::Replay => queue.replay(ids).await,
            Action::Purge => queue.purge(ids).await,
        }
    }
}

/// `replay` or `purge`. Exits 1 when fewer letters left the queue than were
/// selected (refused again by the store, or ids that are not in the queue).
pub(crate) async fn act(
    queue: &mut impl Queue,
    action: Action,
    args: &SelectArgs,
) -> anyhow::Result<ExitCode> {
    let json = args.target.json;
    let (mut done, mut selected) = (0, 0);
    if args.all {
        let progress = Progress::new(action.past(), queue.count().await?, json);
        let mut cursor = "0".to_owned();
        loop {
            let page = queue.page(&cursor, CHUNK).await?;
            let ids: Vec<u64> = page.letters.iter().map(|l| l.id).collect();
            if !ids.is_empty() {
                done += action.run(queue, &ids).await?;
                selected += ids.len() as u64;
                progress.show(selected);
            }
            cursor = page.next;
            if cursor == "0" {
                break;
            }
        }
        progress.finish();
    } else {
        let mut ids = args.ids.clone();
        ids.sort_unstable();
        ids.dedup();
        selected = ids.len() as u64;
        let progress = Progress::new(action.past(), selected, json);
        let mut sent = 0;
        for chunk in ids.chunks(usize::try_from(CHUNK).unwrap_or(usize::MAX)) {
            done += action.run(queue, chunk).await?;
            sent += chunk.len() as u64;
            progress.show(sent);
        }
        progress.finish();
    }
    let left = queue.count().await?;
    if json {
        println!("{}", json!({ action.past(): done, "selected": selected, "dead_letters": left }));
    } else {
        println!("{} {done} of {}; {left} left in the queue", action.past(), counted(selected));
    }
    if done < selected {
        let why = match action {
            Action::Replay => "the store refused them again, or their ids are not in the queue",
            Action::Purge => "their ids are not in the queue",
        };
        eprintln!(
            "jotter: {} of the selected letters are still not {} ({why}); \
             `jotter dead-letters list` shows what is left",
            selected - done,
            action.past()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// A running server's queue, through `JOTTER.DEADLETTERS`.
impl Queue for Remote {
    async fn count(&mut self) -> anyhow::Result<u64> {
        let reply = self.call(&["JOTTER.DEADLETTERS", "COUNT"]).await?;
        match reply {
            Frame::Integer(n) if n >= 0 => Ok(n as u64),
            other => Err(RemoteError::unexpected(self, "JOTTER.DEADLETTERS COUNT", &other).into()),
        }
    }

    async fn page(&mut self, cursor: &str, count: u64) -> anyhow::Result<Page> {
        let count = count.to_string();
        let reply =
            self.call(&["JOTTER.DEADLETTERS", "LIST", cursor, "COUNT", count.as_str()]).await?;
        let unexpected = |remote: &Remote, reply: &Frame| {
            RemoteError::unexpected(remote, "JOTTER.DEADLETTERS LIST", reply)
        };
        let Frame::Array(parts) = &reply else { return Err(unexpected(self, &reply).into()) };
        let (Some(Frame::Bulk(next)), Some(Frame::Array(entries))) = (parts.first(), parts.get(1))
        else {
            return Err(unexpected(self, &reply).into());
        };
        let letters = entries
            .iter()
            .map(Letter::from_frame)
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("reading the reply of {}", self.addr()))?;
        Ok(Page { next: String::from_utf8_lossy(next).into_owned(), letters })
    }

    async fn replay(&mut self, ids: &[u64]) -> anyhow::Result<u64> {
        self.with_ids("REPLAY", ids).await
    }

    async fn purge(&mut self, ids: &[u64]) -> anyhow::Result<u64> {
        self.with_ids("PURGE", ids).await
    }
}

impl Remote {
    /// `JOTTER.DEADLETTERS <verb> id...` and its integer reply.
    async fn with_ids(&mut self, verb: &str, ids: &[u64]) -> anyhow::Result<u64> {
        let mut args = vec!["JOTTER.DEADLETTERS".to_owned(), verb.to_owned()];
        args.extend(ids.iter().map(u64::to_string));
        match self.call(&args).await? {
            Frame::Integer(n) if n >= 0 => Ok(n as u64),
            other => {
                let command = format!("JOTTER.DEADLETTERS {verb}");
                Err(RemoteError::unexpected(self, &command, &other).into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use clap::Parser as _;

    use super::*;
    use crate::cli::DeadLettersCommand;

    /// A queue in memory whose store refuses every id divisible by `refuse`.
    struct Fake {
        letters: BTreeMap<u64, Letter>,
        refuse: u64,
        calls: Vec<usize>,
    }

    impl Fake {
        fn new(n: u64, refuse: u64) -> Fake {
            let letter = |id| Letter {
                id,
                key: format!("k{id}").into(),
                op: "set".into(),
                value_size: 1,
                value_prefix: "v".into(),
                error_kind: "permanent".into(),
                error: "no".into(),
                attempts: 1,
                first_failure_ms: 0,
                last_failure_ms: 0,
            };
            Fake {
                letters: (1..=n).map(|id| (id, letter(id))).collect(),
                refuse,
                calls: Vec::new(),
            }
        }
    }

    impl Queue for Fake {
        async fn count(&mut self) -> anyhow::Result<u64> {
            Ok(self.letters.len() as u64)
        }

        async fn page(&mut self, cursor: &str, count: u64) -> anyhow::Result<Page> {
            let after: u64 = cursor.parse()?;
            let letters: Vec<Letter> = self
                .letters
                .range(after + 1..)
                .take(usize::try_from(count)?)
                .map(|(_, l)| l.clone())
                .collect();
            let more =
                letters.last().is_some_and(|l| self.letters.range(l.id + 1..).next().is_some());
            let next = if more { letters.last().map_or(0, |l| l.id) } else { 0 };
            Ok(Page { next: next.to_string(), letters })
        }

        async fn replay(&mut self, ids: &[u64]) -> anyhow::Result<u64> {
            self.calls.push(ids.len());
            let mut left = 0;
            for id in ids {
                if id % self.refuse != 0 && self.letters.remove(id).is_some() {
                    left += 1;
                }
            }
            Ok(left)
        }

        async fn purge(&mut self, ids: &[u64]) -> anyhow::Result<u64> {
            self.calls.push(ids.len());
            Ok(ids.iter().filter(|id| self.letters.remove(id).is_some()).count() as u64)
        }
    }

    /// `purge IDS` (or `--all`) as parsed from a command line, with --json.
    fn select(ids: &[u64], all: bool) -> SelectArgs {
        let mut argv: Vec<String> =
            ["jotter", "dead-letters", "purge", "--json"].map(String::from).into();
        argv.extend(ids.iter().map(u64::to_string));
        if all {
            argv.push("--all".into());
        }
        match crate::cli::Cli::try_parse_from(argv).unwrap().command {
            crate::cli::Command::DeadLetters(DeadLettersCommand::Purge(args)) => args,
            other => panic!("{other:?}"),
        }
    }

    fn block<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
    }

    #[test]
    fn replaying_all_goes_a_chunk_at_a_time_and_visits_each_letter_once() {
        let mut queue = Fake::new(1200, 7);
        let code = block(act(&mut queue, Action::Replay, &select(&[], true))).unwrap();
        // Letters refused again stay, and fail the command.
        assert_eq!(code, ExitCode::FAILURE);
        assert_eq!(queue.letters.len(), 1200 / 7);
        assert_eq!(queue.calls, [500, 500, 200]);
        // Once the store takes them, a second run empties the queue.
        queue.refuse = u64::MAX;
        queue.calls.clear();
        let code = block(act(&mut queue, Action::Replay, &select(&[], true))).unwrap();
        assert_eq!((code, queue.letters.len()), (ExitCode::SUCCESS, 0));
        assert_eq!(queue.calls, [1200 / 7]);
    }

    #[test]
    fn ids_are_sent_once_each_and_an_unknown_one_fails_the_command() {
        let mut queue = Fake::new(10, u64::MAX);
        let code = block(act(&mut queue, Action::Purge, &select(&[3, 3, 4], false))).unwrap();
        assert_eq!((code, queue.letters.len(), &queue.calls[..]), (ExitCode::SUCCESS, 8, &[2][..]));
        let code = block(act(&mut queue, Action::Purge, &select(&[4, 5], false))).unwrap();
        assert_eq!((code, queue.letters.len()), (ExitCode::FAILURE, 7));
    }
}
