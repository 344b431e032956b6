import assert from "node:assert/strict";
import {
  clientAddress,
  formatAddress,
  limiterKey,
  MAX_FORWARDED_HOPS,
  parseAddress,
  parseRanges,
} from "../../core/client_address.ts";

const trusted = (raw: string) => {
  const { ranges, invalid } = parseRanges(raw);
  assert.deepEqual(invalid, []);
  return ranges;
};
const canon = (text: string) => {
  const bytes = parseAddress(text);
  return bytes ? formatAddress(bytes) : null;
};

Deno.test("`parseAddress` reads IPv4, IPv6, compressed and IPv4-mapped forms canonically", () => {
  assert.equal(canon("10.0.0.1"), "10.0.0.1");
  assert.equal(canon("::ffff:10.0.0.1"), "10.0.0.1");
  assert.equal(canon("::FFFF:a00:1"), "10.0.0.1");
  assert.equal(canon("::1"), "::1");
  assert.equal(canon("::"), "::");
  assert.equal(canon("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  assert.equal(canon("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
  assert.equal(canon("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2:3:4:5:6");
  assert.equal(canon("fe80::1:2"), "fe80::1:2");
  assert.equal(canon("64:ff9b::192.0.2.33"), "64:ff9b::c000:221");
});

Deno.test("`parseAddress` refuses malformed addresses", () => {
  for (
    const bad of [
      "",
      "unknown",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "1.2.3.4 ",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "1::2:3:4:5:6:7:8",
      "12345::1",
      "1.2.3.4::",
      "fe80::1%eth0",
      "g::1",
      "::ffff:1.2.3.256",
    ]
  ) {
    assert.equal(parseAddress(bad), null, bad);
  }
});

Deno.test("`parseRanges` reads addresses and CIDR ranges and names entries that do not parse", () => {
  const { ranges, invalid } = parseRanges(" 10.0.0.0/8, ::1 ,2001:db8::/32,, 127.0.0.1 ");
  assert.deepEqual(ranges.map((r) => [r.text, r.prefix]), [
    ["10.0.0.0/8", 104],
    ["::1", 128],
    ["2001:db8::/32", 32],
    ["127.0.0.1", 128],
  ]);
  assert.deepEqual(invalid, []);
  assert.deepEqual(
    parseRanges("10.0.0.0/33,nginx,::1/129,10.0.0.1/x,1.2.3.4/,::1/-1").invalid,
    ["10.0.0.0/33", "nginx", "::1/129", "10.0.0.1/x", "1.2.3.4/", "::1/-1"],
  );
  assert.deepEqual(parseRanges("").ranges, []);
});

Deno.test("`clientAddress` is the socket peer when no proxy is trusted or the peer is not one", () => {
  assert.equal(clientAddress("198.51.100.7", "203.0.113.9", []), "198.51.100.7");
  assert.equal(
    clientAddress("198.51.100.7", "203.0.113.9", trusted("127.0.0.1")),
    "198.51.100.7",
    "a forwarded header from an untrusted peer is ignored",
  );
  assert.equal(clientAddress("::ffff:198.51.100.7", null, []), "198.51.100.7");
  assert.equal(clientAddress("fe80::1%lo", null, []), "fe80::1");
  assert.equal(clientAddress("", null, []), "unknown");
});

Deno.test("`clientAddress` takes the right-most untrusted forwarded address from a trusted peer", () => {
  const proxies = trusted("127.0.0.1,10.0.0.0/8");
  assert.equal(clientAddress("127.0.0.1", "203.0.113.9", proxies), "203.0.113.9");
  // A client-supplied (spoofed) left part is skipped: the right-most untrusted entry wins.
  assert.equal(clientAddress("127.0.0.1", "1.1.1.1, 203.0.113.9", proxies), "203.0.113.9");
  assert.equal(
    clientAddress("127.0.0.1", "1.1.1.1, 203.0.113.9, 10.1.2.3", proxies),
    "203.0.113.9",
  );
  // IPv4-mapped peer and entries match IPv4 ranges.
  assert.equal(
    clientAddress("::ffff:127.0.0.1", "::ffff:10.9.9.9, 2001:db8::5", proxies),
    "2001:db8::5",
  );
  assert.equal(clientAddress("::1", "203.0.113.9", trusted("::1")), "203.0.113.9");
  // Ports and brackets as some proxies write them.
  assert.equal(clientAddress("127.0.0.1", "203.0.113.9:5555", proxies), "203.0.113.9");
  assert.equal(clientAddress("127.0.0.1", "[2001:db8::7]:443", proxies), "2001:db8::7");
  // No header from a trusted peer: the peer itself.
  assert.equal(clientAddress("10.0.0.2", undefined, proxies), "10.0.0.2");
  assert.equal(clientAddress("10.0.0.2", "", proxies), "10.0.0.2");
});

Deno.test("`clientAddress` stops at a malformed entry at the trusted hop that forwarded it", () => {
  const proxies = trusted("127.0.0.1,10.0.0.0/8");
  assert.equal(clientAddress("127.0.0.1", "garbage", proxies), "127.0.0.1");
  assert.equal(clientAddress("127.0.0.1", "203.0.113.9, garbage", proxies), "127.0.0.1");
  assert.equal(clientAddress("127.0.0.1", "203.0.113.9, bad, 10.0.0.5", proxies), "10.0.0.5");
  assert.equal(clientAddress("127.0.0.1", "bad, 203.0.113.9", proxies), "203.0.113.9");
  assert.equal(clientAddress("127.0.0.1", " , ", proxies), "127.0.0.1");
  assert.equal(clientAddress("127.0.0.1", "fe80::1%eth0", proxies), "127.0.0.1");
});

Deno.test("`clientAddress` bounds work on over-long chains", () => {
  const proxies = trusted("10.0.0.0/8");
  const hops = Array.from({ length: 100 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
  // Only trusted hops: the left-most examined one (hop 100 - MAX_FORWARDED_HOPS).
  assert.equal(
    clientAddress("10.0.0.1", hops.join(", "), proxies),
    hops[100 - MAX_FORWARDED_HOPS],
  );
  // A client beyond the examined hops is not reached.
  assert.equal(
    clientAddress("10.0.0.1", ["203.0.113.9", ...hops].join(","), proxies),
    hops[100 - MAX_FORWARDED_HOPS],
  );
  // A megabyte of junk: the cut-off entry is dropped, the right-most address still wins.
  const junk = "x".repeat(1 << 20) + ", 203.0.113.9";
  assert.equal(clientAddress("10.0.0.1", junk, proxies), "203.0.113.9");
  assert.equal(clientAddress("10.0.0.1", "1".repeat(1 << 20), proxies), "10.0.0.1");
});

Deno.test("`limiterKey` keys IPv4 by address and IPv6 by its /64 network", () => {
  assert.equal(limiterKey("203.0.113.9"), "203.0.113.9");
  assert.equal(limiterKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  assert.equal(limiterKey("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
  assert.equal(limiterKey("unknown"), "unknown");
});
