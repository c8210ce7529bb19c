//! What `COMMAND INFO` says of a command beyond its row: Redis 7.0's tips
//! (cluster routing and nondeterministic output) and the flags that change
//! nothing in this server (`allow_busy`, `skip_slowlog`, ...), by name, so
//! a family's rows carry only what the server acts on.

/// Flags shown after the row's own, in Redis's order.
pub(super) const EXTRA_FLAGS: &[(&str, &[&str])] = &[
    ("hello", &["allow_busy"]),
    ("auth", &["allow_busy"]),
    ("quit", &["allow_busy"]),
    ("reset", &["allow_busy"]),
    ("multi", &["allow_busy"]),
    ("exec", &["skip_slowlog"]),
    ("discard", &["allow_busy"]),
    ("watch", &["allow_busy"]),
    ("unwatch", &["allow_busy"]),
];

/// Each command's tips, Redis's words.
pub(super) const TIPS: &[(&str, &[&str])] = &[
    ("ping", &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("command", &["nondeterministic_output_order"]),
    ("command|list", &["nondeterministic_output_order"]),
    ("command|info", &["nondeterministic_output_order"]),
    ("command|docs", &["nondeterministic_output_order"]),
    ("client|list", &["nondeterministic_output"]),
    ("client|info", &["nondeterministic_output"]),
    ("info", &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]),
    ("time", &["nondeterministic_output"]),
    ("mget", &["request_policy:multi_shard"]),
    ("mset", &["request_policy:multi_shard", "response_policy:all_succeeded"]),
    ("msetnx", &["request_policy:multi_shard", "response_policy:agg_min"]),
    ("hkeys", &["nondeterministic_output_order"]),
    ("hvals", &["nondeterministic_output_order"]),
    ("hgetall", &["nondeterministic_output_order"]),
    ("hrandfield", &["nondeterministic_output"]),
    ("hscan", &["nondeterministic_output"]),
    ("del", &["request_policy:multi_shard", "response_policy:agg_sum"]),
    ("unlink", &["request_policy:multi_shard", "response_policy:agg_sum"]),
    ("exists", &["request_policy:multi_shard", "response_policy:agg_sum"]),
    ("touch", &["request_policy:multi_shard", "response_policy:agg_sum"]),
    ("ttl", &["nondeterministic_output"]),
    ("pttl", &["nondeterministic_output"]),
    ("keys", &["request_policy:all_shards", "nondeterministic_output_order"]),
    ("scan", &["nondeterministic_output", "request_policy:special"]),
    ("randomkey", &["request_policy:all_shards", "nondeterministic_output"]),
    ("dbsize", &["request_policy:all_shards", "response_policy:agg_sum"]),
    ("flushdb", &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("flushall", &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("dump", &["nondeterministic_output"]),
    ("zrandmember", &["nondeterministic_output"]),
    ("zscan", &["nondeterministic_output"]),
    ("smembers", &["nondeterministic_output_order"]),
    ("srandmember", &["nondeterministic_output"]),
    ("spop", &["nondeterministic_output"]),
    ("sinter", &["nondeterministic_output_order"]),
    ("sunion", &["nondeterministic_output_order"]),
    ("sdiff", &["nondeterministic_output_order"]),
    ("sscan", &["nondeterministic_output"]),
    ("xadd", &["nondeterministic_output"]),
    ("xtrim", &["nondeterministic_output"]),
    ("xpending", &["nondeterministic_output"]),
    ("xclaim", &["nondeterministic_output"]),
    ("xautoclaim", &["nondeterministic_output"]),
];

/// The entry of `name` in a table of `(name, values)`, or none.
pub(super) fn of(table: &[(&str, &'static [&'static str])], name: &str) -> &'static [&'static str] {
    table.iter().find(|(n, _)| *n == name).map_or(&[], |(_, v)| v)
}
