//! EVAL, EVALSHA, EVAL_RO, SCRIPT, FUNCTION and FCALL against a private
//! redis-server: replies, conversions and error texts, reply for reply, in
//! RESP2 and RESP3.

mod common;

use common::differential::{Command, Pair, Rng};

/// MessagePack of values of every kind, in hex.
const HEX_MSGPACK: &str = "local s = cmsgpack.pack(1, -1, 200, -200, 70000, -70000, 2^40, \
    'ab', string.rep('x', 40), {1, 2}, {a = true}, 1.5, 0.1, false) \
    return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))";

/// `struct.pack` of every format, in hex.
const HEX_STRUCT: &str = "local s = struct.pack('>I2<i!4>bi>l<dfs c3xBHL', 258, -2, 1, 2, 5, 1.5, \
    0.25, 'hi', 'abcdef', 200, 60000, 7) \
    return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))";

/// Scripts whose replies must be Redis's, run in order on both servers.
const SCRIPTS: &[&[&str]] = &[
    &["SET", "s", "abc"],
    &["EVAL", "return 1", "0"],
    &["EVAL", "return {1, 2.9, 'a', false, true, {ok='fine'}, nil, 3}", "0"],
    &["EVAL", "return {err='bad'}", "0"],
    &["EVAL", "return redis.error_reply('X y')", "0"],
    &["EVAL", "return redis.error_reply('')", "0"],
    &["EVAL", "return redis.status_reply('PONG')", "0"],
    &["EVAL", "return redis.sha1hex('')", "0"],
    &["EVAL", "return x", "0"],
    &["EVAL", "x = 1", "0"],
    &["EVAL", "redis.call = nil", "0"],
    &["EVAL", "string.x = 1", "0"],
    &["EVAL", "cjson.encode = nil", "0"],
    &["EVAL", "return redis.call('ping')", "0"],
    &["EVAL", "return 1 +", "0"],
    &["EVAL", "error('boom')", "0"],
    &["EVAL", "error({err='MY boom'})", "0"],
    &["EVAL", "return redis.call('nope')", "0"],
    &["EVAL", "return redis.call()", "0"],
    &["EVAL", "return redis.call('get')", "0"],
    &["EVAL", "return redis.call({})", "0"],
    &["EVAL", "return redis.pcall({})", "0"],
    &["EVAL", "return redis.call('incr', KEYS[1])", "1", "s"],
    &["EVAL", "return redis.pcall('incr', KEYS[1])", "1", "s"],
    &["EVAL", "local r = redis.pcall('incr', 's'); return type(r) .. r['err']", "0"],
    &["EVAL", "return redis.call('blpop', KEYS[1], 0)", "1", "l"],
    &["EVAL", "return redis.call('multi')", "0"],
    // A container's subcommand may run from a script by its own flags.
    &["EVAL", "return redis.call('config', 'get', 'maxmemory')", "0"],
    &["EVAL", "return redis.call('client', 'id')", "0"],
    &["EVAL", "return redis.call('object', 'encoding', KEYS[1])", "1", "s"],
    &["EVAL", "return redis.call('eval', 'return 1', 0)", "0"],
    &["EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "k", "v"],
    &["EVAL", "return redis.call('get', KEYS[1])", "1", "k"],
    &["EVAL", "return redis.call('get', 'nothing')", "0"],
    &["EVAL", "return tostring(redis.call('get', 'nothing'))", "0"],
    &["EVAL", "return redis.call('type', 'k')", "0"],
    &["EVAL", "return redis.call('type', 'k')['ok']", "0"],
    &["EVAL", "return redis.call('hset', 'h', 'a', 1, 'b', 2.5)", "1", "h"],
    &["EVAL", "return redis.call('hgetall', 'h')", "1", "h"],
    &["EVAL", "return redis.call('incrbyfloat', KEYS[1], 1.5)", "1", "f"],
    &["EVAL", "return redis.call('ping')", "0"],
    &["EVAL", "return redis.setresp(4)", "0"],
    &["EVAL", "redis.setresp(3); return redis.call('hgetall', 'h')", "0"],
    &["EVAL", "redis.setresp(3); return {double=1.5}", "0"],
    &["EVAL", "redis.setresp(3); return false", "0"],
    &["EVAL", "return false", "0"],
    &["EVAL", "return {map={a=1}}", "0"],
    &["EVAL", "return #KEYS + #ARGV * 10", "2", "a", "b", "c"],
    &["EVAL", "return {bit.band(0xff, 0x0f, 7), bit.bor(1, 2), bit.bxor(5, 1), bit.bnot(0)}", "0"],
    &[
        "EVAL",
        "return {bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.tobit(2^32 + 5)}",
        "0",
    ],
    &[
        "EVAL",
        "return {bit.tohex(255), bit.tohex(255, -2), bit.tohex(-1, 4), bit.rol(0x12345678, 8)}",
        "0",
    ],
    &["EVAL", "return cjson.encode({1, 2.5, 'a/b', true, {x = 'y'}, 1/3, {}})", "0"],
    &["EVAL", "return cjson.decode('[1, 2.5, \"x\", [true, false]]')", "0"],
    &[
        "EVAL",
        "local t = cjson.decode('{\"a\": {\"b\": null}}') return tostring(t.a.b == cjson.null)",
        "0",
    ],
    &["EVAL", "return cjson.encode(cjson.decode('{\"k\": [1, 2, {\"n\": \"v\"}]}'))", "0"],
    &["EVAL", HEX_MSGPACK, "0"],
    &[
        "EVAL",
        "local a, b, c = cmsgpack.unpack(cmsgpack.pack({1, {x = 'y'}}, -70000, 'z')) return {a[2].x, b, c}",
        "0",
    ],
    &[
        "EVAL",
        "local a, m = {}, {} for i = 1, 20 do a[i] = i; m['k' .. i] = i end \
        local x, y, z = cmsgpack.unpack(cmsgpack.pack(a, m, string.rep('z', 300))) \
        return {#x, x[20], y.k20, #z}",
        "0",
    ],
    &["EVAL", HEX_STRUCT, "0"],
    &["EVAL", "return {struct.size('>iIhbd'), struct.unpack('<i2c2', 'abcd')}", "0"],
    &["EVAL", "return {struct.unpack('>h', string.char(255, 254))}", "0"],
    &["EVAL", "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')", "0"],
    &["EVAL", "#!lua\nreturn redis.call('set', 'a', 'b')", "0"],
    &["EVAL_RO", "#!lua\nreturn 1", "0"],
    &["EVAL_RO", "#!lua flags=no-writes,allow-oom\nreturn 1", "0"],
    &["EVAL", "#!lua flags=bad\nreturn 1", "0"],
    &["EVAL", "#!lua foo=bar\nreturn 1", "0"],
    &["EVAL", "#!py\nreturn 1", "0"],
    &["EVAL", "#!lua flags=no-writes,allow-oom\nreturn error('x')", "0"],
    &["EVAL", "return 1", "-1"],
    &["EVAL", "return 1", "3", "a"],
    &["EVAL", "return 1", "x"],
    &["EVAL_RO", "return redis.call('set', KEYS[1], 'y')", "1", "x"],
    &["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k"],
    &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    &["SCRIPT", "LOAD", "return 1"],
    &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    &["EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"],
    &["EVALSHA_RO", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    &["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "nope"],
    &["SCRIPT", "LOAD", "return +"],
    &["SCRIPT", "KILL"],
    &["SCRIPT", "HELP"],
    &["SCRIPT", "NOPE"],
    &["SCRIPT", "LOAD"],
    &["SCRIPT", "FLUSH", "SOMETIMES"],
    &["SCRIPT", "FLUSH"],
    &["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"],
    &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
];

/// Sends `commands` in order to both servers, once in RESP2 and once in
/// RESP3; every reply must be Redis's.
fn same_in_both_protocols(commands: &[&[&str]]) {
    for resp3 in [false, true] {
        let Some(mut pair) = Pair::start(&[]) else { return };
        if resp3 {
            pair.resp3();
        }
        for command in commands {
            pair.same(command);
        }
    }
}

#[test]
fn scripts_reply_as_redis_in_both_protocols() {
    same_in_both_protocols(SCRIPTS);
}

#[test]
fn a_script_may_touch_keys_it_did_not_declare() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    let script = "redis.call('set', 'u1', '1'); redis.call('incr', 'u2'); \
                  redis.call('rpush', 'u3', 'a', 'b'); \
                  return {redis.call('get', 'u1'), redis.call('get', 'u2'), \
                  redis.call('lrange', 'u3', 0, -1)}";
    pair.same(&["EVAL", script, "0"]);
    pair.same(&["EVAL", script, "1", "u2"]);
    pair.same(&["MGET", "u1", "u2"]);
}

#[test]
fn a_script_that_fails_keeps_the_writes_before_the_error() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    pair.same(&["EVAL", "redis.call('set', KEYS[1], 'kept'); error('late')", "1", "k"]);
    pair.same(&["GET", "k"]);
    pair.same(&[
        "EVAL",
        "redis.call('set', KEYS[1], 'x'); return redis.call('incr', KEYS[1])",
        "1",
        "k",
    ]);
    pair.same(&["GET", "k"]);
}

/// Libraries of one function each: the order of several in FUNCTION LIST
/// is Redis's hash order.
const FUNCTIONS: &[&[&str]] = &[
    &["FUNCTION", "FLUSH"],
    &["FUNCTION", "LOAD", "return 1"],
    &["FUNCTION", "LOAD", "#!lua"],
    &["FUNCTION", "LOAD", "#!py name=x"],
    &["FUNCTION", "LOAD", "#!lua name=x foo=bar"],
    &["FUNCTION", "LOAD", "#!lua name=a-b"],
    &["FUNCTION", "LOAD", "#!lua name=x\nreturn 1"],
    &["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f-g', function() end)"],
    &[
        "FUNCTION",
        "LOAD",
        "#!lua name=x\nredis.register_function('f', function() end)\nredis.register_function('f', function() end)",
    ],
    &["FUNCTION", "LOAD", "#!lua name=x\nreturn +"],
    &[
        "FUNCTION",
        "LOAD",
        "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={'bad'}}",
    ],
    &["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f')"],
    &[
        "FUNCTION",
        "LOAD",
        "#!lua name=rolib\nredis.register_function{function_name='ro', callback=function(keys, args) return args[1] end, flags={'no-writes'}, description='reads'}",
    ],
    &["FUNCTION", "LOAD", "#!lua name=rolib\nredis.register_function('x', function() end)"],
    &["FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('ro', function() end)"],
    &[
        "FUNCTION",
        "LOAD",
        "#!lua name=wlib\nredis.register_function('w', function(keys, args) return redis.call('set', keys[1], args[1]) end)",
    ],
    &[
        "FUNCTION",
        "LOAD",
        "#!lua name=err\nredis.register_function('boom', function(keys, args) return redis.call('incr', 'w') end)",
    ],
    &["FCALL", "nope", "0"],
    &["FCALL", "w", "1", "w", "v"],
    &["FCALL", "w", "1"],
    &["FCALL_RO", "w", "1", "w", "v"],
    &["FCALL_RO", "ro", "0", "hello"],
    &["FCALL", "ro", "0", "hello"],
    &["FCALL", "boom", "0"],
    &["FUNCTION", "LIST", "LIBRARYNAME", "ro*"],
    &["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "w*"],
    &[
        "FUNCTION",
        "LOAD",
        "REPLACE",
        "#!lua name=wlib\nredis.register_function('w2', function() return 2 end)",
    ],
    &["FCALL", "w", "0"],
    &["FCALL", "w2", "0"],
    &["FUNCTION", "STATS"],
    &["FUNCTION", "DELETE", "nope"],
    &["FUNCTION", "DELETE", "err"],
    &["FCALL", "boom", "0"],
    &["FUNCTION", "KILL"],
    &["FUNCTION", "RESTORE", "bad"],
    &["FUNCTION", "HELP"],
    &["FUNCTION", "NOPE"],
];

#[test]
fn functions_reply_as_redis_in_both_protocols() {
    same_in_both_protocols(FUNCTIONS);
}

#[test]
fn a_function_dump_restores_on_the_other_server() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    let code = "#!lua name=lib\nredis.register_function('hello', function() return 'hi' end)";
    pair.same(&["FUNCTION", "LOAD", code]);
    for (from, to) in [(0, 1), (1, 0)] {
        let conns = [&mut pair.j, &mut pair.r];
        conns[from].send(&common::resp(&["FUNCTION", "DUMP"]));
        let payload = conns[from].read_bulk_bytes().expect("a payload");
        conns[to].send(&common::resp_bytes(&[b"FUNCTION", b"RESTORE", &payload, b"REPLACE"]));
        assert_eq!(conns[to].read_line(), "+OK\r\n");
    }
    pair.same(&["FCALL", "hello", "0"]);
    pair.same(&["FUNCTION", "RESTORE", "x", "SOMETIMES"]);
}

const FUZZ_KEYS: &[&str] = &["a", "b", "c"];
const FUZZ_VALUES: &[&str] = &["1", "-2", "x", "", "3.5"];

/// A command on a few shared keys, sent as it is or through a script:
/// `redis.call` or `redis.pcall` on the arguments, its keys declared or not
/// (then the script runs again with them).
fn scripted(rng: &mut Rng) -> Command {
    let key = rng.pick(FUZZ_KEYS);
    let other = rng.pick(FUZZ_KEYS);
    let value = rng.pick(FUZZ_VALUES);
    let command: &[&str] = match rng.below(14) {
        0 => &["SET", key, value],
        1 => &["GET", key],
        2 => &["INCR", key],
        3 => &["APPEND", key, value],
        4 => &["DEL", key, other],
        5 => &["TYPE", key],
        6 => &["HSET", key, "f", value],
        7 => &["HGET", key, "f"],
        8 => &["LPUSH", key, value],
        9 => &["LRANGE", key, "0", "-1"],
        10 => &["ZADD", key, "1", value],
        11 => &["ZRANGE", key, "0", "-1", "WITHSCORES"],
        12 => &["EXPIRE", key, "100"],
        _ => &["RENAME", key, other],
    };
    let call = if rng.chance(0.5) { "call" } else { "pcall" };
    let script = format!("return redis.{call}(unpack(ARGV))");
    let mut args: Vec<String> = match rng.below(3) {
        0 => return Command::new(command),
        1 => vec!["EVAL".into(), script, "0".into()],
        _ => vec!["EVAL".into(), format!("local _ = KEYS[1] {script}"), "1".into(), key.into()],
    };
    args.extend(command.iter().map(|a| (*a).to_owned()));
    Command::from(args)
}

#[test]
fn commands_through_scripts_answer_as_redis_does() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    pair.fuzz_both_protocols(7, 600, scripted);
}

/// Scripts queued inside MULTI run in their places in EXEC's transaction:
/// each sees the writes queued before it, the commands after it see its
/// writes, and a script that cannot run answers its error in its slot.
const IN_MULTI: &[&[&str]] = &[
    &["MULTI"],
    &["SET", "a", "1"],
    &["EVAL", "return redis.call('get', 'a')", "0"],
    &["SET", "a", "2"],
    &["INCR", "a"],
    &["EXEC"],
    &["MULTI"],
    &[
        "EVAL",
        "redis.call('set', KEYS[1], ARGV[1]); return redis.call('incr', KEYS[2])",
        "2",
        "b",
        "c",
        "v",
    ],
    &["GET", "b"],
    &["INCR", "c"],
    &["EVAL", "return {redis.call('get', KEYS[1]), redis.call('get', 'c')}", "1", "b"],
    &["EXEC"],
    &["MULTI"],
    &["SET", "d", "1"],
    &["EVALSHA", "0000000000000000000000000000000000000000", "0"],
    &["EVAL", "return 1", "x"],
    &["EVAL", "return 1", "-1"],
    &["EVAL", "return 1 +", "0"],
    &["EVAL", "return redis.call('get', 'd')", "0"],
    &["EVALSHA", "6ec08a89f907ee2c464348f09e7c133d52dc6459", "0"],
    &["EVAL_RO", "return redis.call('set', 'd', '2')", "0"],
    &["INCR", "d"],
    &["EXEC"],
    &["SET", "s", "abc"],
    &["MULTI"],
    &["EVAL", "redis.call('set', 'e', 'kept'); return redis.call('incr', 's')", "0"],
    &["EVAL", "return redis.pcall('incr', KEYS[1])", "1", "s"],
    &["GET", "e"],
    &["APPEND", "s", "d"],
    &["EXEC"],
    &["MULTI"],
    &["INCR", "u2"],
    &["EVAL", "redis.call('set', 'u1', 'x'); return redis.call('incr', 'u2')", "0"],
    &["EVAL", "return redis.call('append', 'u1', 'y')", "1", "u2"],
    &["GET", "u1"],
    &["EXEC"],
    &["MGET", "a", "b", "c", "d", "e", "s", "u1", "u2"],
];

#[test]
fn scripts_inside_multi_run_in_their_places() {
    same_in_both_protocols(IN_MULTI);
}

#[test]
fn functions_inside_multi_run_in_their_places() {
    let lib = "#!lua name=lib\n\
        redis.register_function('put', function(keys, args) \
            redis.call('set', keys[1], args[1]); return redis.call('get', keys[2]) end)\n\
        redis.register_function{function_name='peek', \
            callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}";
    same_in_both_protocols(&[
        &["FUNCTION", "LOAD", lib],
        &["MULTI"],
        &["SET", "f2", "before"],
        &["FCALL", "put", "2", "f1", "f2", "one"],
        &["FCALL_RO", "peek", "1", "f1"],
        &["FCALL_RO", "put", "2", "f1", "f2", "two"],
        &["FCALL", "nope", "0"],
        &["APPEND", "f1", "+"],
        &["FCALL", "peek", "1", "f1"],
        &["EXEC"],
        &["MGET", "f1", "f2"],
    ]);
}

#[test]
fn a_watched_key_changed_aborts_a_transaction_of_scripts() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    let (mut jo, mut ro) = pair.connect_both();
    let script = "redis.call('incr', KEYS[1]); return redis.call('get', KEYS[1])";
    for changed in [true, false] {
        pair.same(&["WATCH", "w"]);
        if changed {
            jo.send(&common::resp(&["SET", "w", "10"]));
            ro.send(&common::resp(&["SET", "w", "10"]));
            assert_eq!(jo.read_line(), "+OK\r\n");
            assert_eq!(ro.read_line(), "+OK\r\n");
        }
        pair.same(&["MULTI"]);
        pair.same(&["EVAL", script, "1", "w"]);
        pair.same(&["EVAL", "return redis.call('set', 'x', 'y')", "0"]);
        pair.same(&["EXEC"]);
        pair.same(&["MGET", "w", "x"]);
    }
}
