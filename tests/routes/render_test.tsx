import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { loadConfig } from "../../config.ts";
import { Island, renderBody, serializeProps, wrapDocument } from "../../routes/render.tsx";
import { issueSession, verifySession } from "../../routes/session.ts";
import { grantCovers } from "../../http/auth.ts";
import { freshness, relativeTime } from "../../routes/engagement.tsx";

Deno.test("serializeProps: no value can close the script tag or open a comment", () => {
  const nasty = {
    id: "x</script><script>alert(1)</script>",
    comment: "<!-- <script>",
    amp: "a & b > c",
    separators: "line\u2028para\u2029end",
  };
  const text = serializeProps(nasty);
  for (const bad of ["<", ">", "&", "\u2028", "\u2029"]) assert.ok(!text.includes(bad), bad);
  assert.match(text, /x\\u003c\/script\\u003e/);
  assert.deepEqual(JSON.parse(text), nasty);
});

Deno.test("renderBody collects islands once each; wrapDocument adds one module per URL", () => {
  const spec = { kind: "bar" as const, labels: ["a"], series: [] };
  const { body, islands } = renderBody(
    <div>
      <Island
        name="Chart"
        props={{ title: "One </script>", alt: "One </script>: no data.", spec }}
      />
      <Island name="Chart" props={{ title: "Two", alt: "Two", spec }} />
    </div>,
  );
  assert.deepEqual(islands, ["Chart"]);
  assert.equal(body.match(/data-island="Chart"/g)?.length, 2);
  assert.match(body, /<script type="application\/json" id="island-props-1">/);
  assert.match(body, /One \\u003c\/script\\u003e/);
  assert.match(body, /<canvas role="img" aria-label="One &lt;\/script>: no data."/);
  const html = wrapDocument(body, {
    title: "T <x>",
    stylesheet: "/static/app.1.css",
    scripts: ["/static/islands/Chart.abc.js"],
  });
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<title>T &#60;x&#62;<\/title>/);
  assert.equal(html.match(/<script type="module"/g)?.length, 1);
});

Deno.test("a page without islands renders no script element", () => {
  const { body, islands } = renderBody(<p>plain</p>);
  assert.deepEqual(islands, []);
  const html = wrapDocument(body, { title: "t", stylesheet: "/s.css", scripts: [] });
  assert.ok(!html.includes("<script"));
});

Deno.test("Island outside renderBody is a programming error, named as such", () => {
  // A plain preact render has no island collector: the guard must say so (not a TypeError).
  assert.throws(
    () => renderToString(<Island name="DemoGenerator" props={{ playerId: "p" }} />),
    { name: "Error", message: "Island rendered outside renderDocument" },
  );
});

const config = loadConfig({ APP_ENV: "test", DASHBOARD_TOKEN_MAP: "tok-a:alice,tok-all:*" });
const NOW = new Date("2025-10-22T18:00:00Z");

Deno.test("sessions: signed, expiring, bound to a live grant, never holding the token", async () => {
  const value = await issueSession(config, "tok-a", "alice", NOW);
  assert.ok(!value.includes("tok-a"));
  assert.equal(await verifySession(config, value, NOW), "alice");
  assert.equal(await verifySession(config, value, new Date(NOW.getTime() + 8 * 3600e3)), null);
  assert.equal(await verifySession(config, value.slice(0, -2) + "xx", NOW), null);
  const [v, id, , exp, grant, sig] = value.split(".");
  const forged = [v, id, btoa("bob").replace(/=+$/, ""), exp, grant, sig].join(".");
  assert.equal(await verifySession(config, forged, NOW), null);
  assert.equal(await verifySession(config, undefined, NOW), null);
  assert.equal(await verifySession(config, "garbage", NOW), null);
  // Removing the token from DASHBOARD_TOKEN_MAP ends its sessions.
  const revoked = loadConfig({ APP_ENV: "test", DASHBOARD_TOKEN_MAP: "tok-b:alice" });
  assert.equal(await verifySession(revoked, value, NOW), null);
  // Another salt (another deployment) does not accept the cookie.
  const other = loadConfig({
    APP_ENV: "test",
    DASHBOARD_TOKEN_MAP: "tok-a:alice",
    DASHBOARD_TOKEN_SALT: "another-salt",
  });
  assert.equal(await verifySession(other, value, NOW), null);
  const star = await issueSession(config, "tok-all", "*", NOW);
  assert.equal(await verifySession(config, star, NOW), "*");
  assert.ok(grantCovers("*", "anyone"));
  assert.ok(grantCovers("alice", "alice"));
  assert.ok(!grantCovers("alice", "bob"));
  assert.ok(!grantCovers(null, "alice"));
});

Deno.test("relative time and freshness of the last session", () => {
  const ago = (ms: number) => new Date(NOW.getTime() - ms);
  assert.equal(relativeTime(ago(10_000), NOW), "just now");
  assert.equal(relativeTime(ago(60_000), NOW), "1 minute ago");
  assert.equal(relativeTime(ago(3 * 3600e3 + 5), NOW), "3 hours ago");
  assert.equal(relativeTime(ago(49 * 3600e3), NOW), "2 days ago");
  assert.equal(relativeTime(ago(-3600e3), NOW), "in the future");
  assert.equal(freshness(ago(23.9 * 3600e3), NOW), "recent");
  assert.equal(freshness(ago(24 * 3600e3), NOW), "warning");
  assert.equal(freshness(ago(71.9 * 3600e3), NOW), "warning");
  assert.equal(freshness(ago(72 * 3600e3), NOW), "stale");
});
