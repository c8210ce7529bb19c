# Sourced by the measuring scripts: sets `bin` to the release `jotter`
# binary, JOTTER_BIN if given, else the one `cargo build --release` makes
# (built first). Needs `root`, the repository's top folder.
bin=${JOTTER_BIN:-}
if [[ -z $bin ]]; then
    cargo build --release -p jotter-server --manifest-path "$root/Cargo.toml" >&2
    bin=${CARGO_TARGET_DIR:-$root/target}/release/jotter
fi
