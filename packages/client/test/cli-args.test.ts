import { describe, expect, test } from "vitest";
import { parseKvArgs, parseValue, UsageError } from "../src/cli/args.js";

describe("kv argument parsing: every flag is read, and a usage error says what is wrong", () => {
  test.each([
    [["get", "k"], { type: "read", key: "k" }],
    [["put", "k", "42"], { type: "write", key: "k", value: 42 }],
    [["put", "k", "hello"], { type: "write", key: "k", value: "hello" }],
    [["append", "k", "[1,2]"], { type: "append", key: "k", value: [1, 2] }],
    [["incr", "k"], { type: "incr", key: "k", delta: 1 }],
    [["incr", "k", "-3"], { type: "incr", key: "k", delta: -3 }],
    [["cas", "k", "1", "null"], { type: "cas", key: "k", from: 1, to: null }],
    [["cas", "k", "null", "1", "--create"], { type: "cas", key: "k", from: null, to: 1, create_if_not_exists: true }],
    [["delete", "k"], { type: "delete", key: "k" }],
  ])("kv %j is the operation %j", (argv, op) => {
    expect(parseKvArgs(argv).operation).toEqual(op);
  });

  test("values are JSON when they parse and strings otherwise", () => {
    expect(parseValue('{"a":1}')).toEqual({ a: 1 });
    // Exact as JSON numbers: the largest safe integer, and numbers written with a fraction or an exponent.
    expect(parseValue("9007199254740991")).toBe(9007199254740991);
    expect(parseValue('[1e20, 1.5e300, -0.1, "12345678901234567890"]')).toEqual([1e20, 1.5e300, -0.1, "12345678901234567890"]);
    expect(parseValue('"quoted"')).toBe("quoted");
    expect(parseValue("true")).toBe(true);
    expect(parseValue("not json")).toBe("not json");
  });

  test("--nodes and --port name each node by its address: its id is learned from its replies, never from the order", () => {
    expect(parseKvArgs(["--nodes", "9003,9001", "get", "k"]).nodes).toEqual({ "127.0.0.1:9003": 9003, "127.0.0.1:9001": 9001 });
    expect(parseKvArgs(["--port", "9002", "get", "k"]).nodes).toEqual({ "127.0.0.1:9002": 9002 });
    expect(parseKvArgs(["get", "k"]).nodes).toEqual({ "127.0.0.1:9001": 9001 });
    expect(parseKvArgs(["--host", "::1", "--nodes", "9001,9002", "get", "k"]).nodes).toEqual({ "[::1]:9001": 9001, "[::1]:9002": 9002 });
    // Bracketed as in a URL, an IPv6 address is the same host.
    expect(parseKvArgs(["--host", "[::1]", "--port", "9001", "get", "k"])).toMatchObject({ host: "::1", nodes: { "[::1]:9001": 9001 } });
    expect(parseKvArgs(["--host", "fe80::1%lo", "get", "k"]).host).toBe("fe80::1%lo");
  });

  test("a cas with --create says --create in its words, so a replay sends the same request", () => {
    expect(parseKvArgs(["cas", "k", "null", "1", "--create"]).words).toEqual(["cas", "k", "null", "1", "--create"]);
    expect(parseKvArgs(["cas", "k", "null", "1"]).words).toEqual(["cas", "k", "null", "1"]);
  });

  test("the options are read wherever they appear", () => {
    const p = parseKvArgs(["put", "k", "v", "--client-id", "77", "--seq", "3", "-v", "--json", "--max-retries", "0", "--timeout-ms", "50"]);
    expect(p).toMatchObject({ clientId: "77", seq: 3, verbose: true, json: true, maxRetries: 0, timeoutMs: 50 });
  });

  test("a read with --client-id needs no --seq: reads carry no identity", () => {
    expect(parseKvArgs(["--client-id", "c1", "get", "y"])).toMatchObject({ clientId: "c1", seq: undefined, operation: { type: "read", key: "y" } });
  });

  test.each([
    [[], /missing command/],
    [["frob", "k"], /unknown command "frob"/],
    [["put", "k"], /^usage: kv put KEY VALUE \(VALUE is missing\)$/],
    [["get"], /^usage: kv get KEY \(KEY is missing\)$/],
    [["cas", "k"], /^usage: kv cas KEY FROM TO \(FROM and TO are missing\)$/],
    [["append", "k", "-v"], /^usage: kv append KEY VALUE \(VALUE is missing; -v was read as an option; to pass it as an argument, put -- before it: -- -v\)$/],
    [["put", "--json", "k"], /^usage: kv put KEY VALUE \(VALUE is missing; --json was read as an option; to pass it as an argument, put -- before it: -- --json\)$/],
    [["cas", "k", "-v", "--verbose"], /^usage: kv cas KEY FROM TO \(FROM and TO are missing; -v and --verbose were read as options; to pass them as arguments, put -- before them: -- -v --verbose\)$/],
    [["-v", "put", "k"], /^usage: kv put KEY VALUE \(VALUE is missing\)$/],
    [["--client-id", "put", "get", "k", "-v", "x"], /^usage: kv get KEY \(unexpected argument "x"\)$/],
    [["get", "x", "y", "z"], /^usage: kv get KEY \(unexpected arguments "y" and "z"\)$/],
    [["delete", "k", "extra"], /^usage: kv delete KEY \(unexpected argument "extra"\)$/],
    [["incr", "k", "1", "2"], /^usage: kv incr KEY \[DELTA\] \(unexpected argument "2"\)$/],
    [["put", "k", "hello", "world"], /^usage: kv put KEY VALUE \(unexpected argument "world"; a VALUE with spaces goes in quotes: 'hello world'\)$/],
    [["append", "k", "it's", "a", "b"], /^usage: kv append KEY VALUE \(unexpected arguments "a" and "b"; a VALUE with spaces goes in quotes: 'it'\\''s a b'\)$/],
    [["incr", "--json"], /^usage: kv incr KEY \[DELTA\] \(KEY is missing; --json was read/],
    [["incr", "k", "1.5"], /DELTA must be an integer/],
    [["incr", "k", "9007199254740993"], /^incr: DELTA must be an integer from -\(2\^53-1\) to 2\^53-1 \(9007199254740991\); "9007199254740993" is beyond that, where a JSON number is not exact$/],
    [["--port", "x", "get", "k"], /^--port: "x" is not a TCP port \(an integer from 1 to 65535\)$/],
    [["--port", "70000", "get", "k"], /^--port: "70000" is not a TCP port \(an integer from 1 to 65535\)$/],
    [["--port", "0", "get", "k"], /^--port: "0" is not a TCP port \(an integer from 1 to 65535\)$/],
    [["--port", "-1", "get", "k"], /^--port: "-1" is not a TCP port \(an integer from 1 to 65535\)$/],
    [["--nodes", "9001,0,9003", "get", "k"], /^--nodes: "0" is not a TCP port \(an integer from 1 to 65535\)$/],
    [["--nodes", "9001,abc", "get", "k"], /^--nodes: "abc" is not a TCP port \(an integer from 1 to 65535\)$/],
    [["--nodes", "127.0.0.1:9001,127.0.0.1:9002", "get", "k"], /^--nodes: "127\.0\.0\.1:9001" is not a TCP port \(an integer from 1 to 65535\); give the ports alone \(--nodes 9001,9002\) and the host with --host \(--host 127\.0\.0\.1\)$/],
    [["--nodes", "9001,9001,9003", "get", "k"], /^--nodes: port 9001 is listed twice \("9001", then "9001"\); give each node's port once$/],
    [["--nodes", "9001, 9002,09001", "status"], /^--nodes: port 9001 is listed twice \("9001", then "09001"\); give each node's port once$/],
    [["--nodes", "9001,,9002", "get", "k"], /^--nodes: an empty entry in "9001,,9002"; give each port once, separated by single commas$/],
    [["--nodes", "9001,9002,", "get", "k"], /^--nodes: an empty entry in "9001,9002,"; give each port once, separated by single commas$/],
    [["--nodes", ",9001", "status"], /^--nodes: an empty entry in ",9001"; give each port once, separated by single commas$/],
    [["--nodes", "9001, ,9002", "get", "k"], /^--nodes: an empty entry in "9001, ,9002"/],
    [["--nodes", ",", "get", "k"], /^--nodes: an empty entry in ","/],
    [["put", "k", "1", "--create"], /^--create: only cas takes it \(kv cas KEY FROM TO --create creates a missing KEY with TO\), not put$/],
    [["status", "--create"], /^--create: only cas takes it/],
    [["--port", "localhost:9001", "get", "k"], /^--port: "localhost:9001" is not a TCP port \(an integer from 1 to 65535\); give the port alone \(--port 9001\) and the host with --host \(--host localhost\)$/],
    [["--port", "1", "--nodes", "2", "get", "k"], /not both/],
    [["--seq", "2", "put", "k", "v"], /--seq needs --client-id/],
    [["--client-id", "1", "--seq", "0", "put", "k", "v"], /--seq: expected an integer >= 1/],
    [["--client-id", "c1", "put", "y", "99"], /^--client-id needs --seq: .*answers a request under a seq it has seen with the reply it gave/],
    [["--client-id", "c1", "incr", "y"], /^--client-id needs --seq/],
    [["--bogus", "get", "k"], /bogus/],
    [["--client-id", "a", "--client-id", "b", "--seq", "1", "put", "k", "v"], /^--client-id: given twice \("a", then "b"\); give it once$/],
    [["--nodes", "9001", "--nodes", "9002", "get", "k"], /^--nodes: given twice/],
    [["--client-id", "a", "--seq", "1", "put", "k", "v", "--seq", "2"], /^--seq: given twice \("1", then "2"\)/],
    [["--host", "", "get", "k"], /^--host: expected a host name or address, got ""$/],
    [["--host", "node 1", "get", "k"], /^--host: expected a host name or address, got "node 1"$/],
    [["--host", "", "status"], /^--host: expected a host name or address/],
    [["--host", "127.0.0.1:9001", "get", "k"], /^--host: "127\.0\.0\.1:9001" is not a host name or address; give the host alone \(--host 127\.0\.0\.1\) and its port with --port or --nodes \(--port 9001\)$/],
    [["--host", "localhost:9002", "get", "k"], /^--host: "localhost:9002" is not a host name or address; give the host alone \(--host localhost\)/],
    [["--host", "[::1]:9001", "get", "k"], /^--host: "\[::1\]:9001" is not a host name or address/],
    [["put", "huge", "1e400"], /^VALUE: "1e400" holds a number too large for JSON to carry \(it would be sent as null\); give a finite number, or '"1e400"' for the string$/],
    [["append", "k", "-1e400"], /^VALUE: "-1e400" holds a number too large/],
    [["cas", "k", "1", '{"a":[1e999]}'], /^TO: "\{\\"a\\":\[1e999\]\}" holds a number too large/],
    [["put", "id", "9007199254740993"], /^VALUE: "9007199254740993" holds the integer 9007199254740993, past 2\^53, which JSON carries only rounded \(it would be sent as 9007199254740992\); give '"9007199254740993"' for the string$/],
    [["append", "k", '{"id":[1,-12345678901234567891]}'], /^VALUE: .* holds the integer -12345678901234567891, past 2\^53, which JSON carries only rounded \(it would be sent as -12345678901234567000\)$/],
  ])("kv %j is a usage error matching %s", (argv, message) => {
    expect(() => parseKvArgs(argv)).toThrow(UsageError);
    expect(() => parseKvArgs(argv)).toThrow(message);
  });
});
