/**
 * Hostile input, part 2: injection. SQL metacharacters in every string field and path parameter
 * are stored and returned verbatim (parameterized SQL everywhere, no LIKE on user input); NUL and
 * lone surrogates, which PostgreSQL text cannot hold, are refused with a clean 4xx (or, for a
 * surrogate, would have to come back unchanged); markup in ids is escaped on every page and in
 * island props.
 */
import assert from "node:assert/strict";
import { companyIdFor, dashboardTokenFor } from "../../core/company.ts";
import { DEV_COMPANY_SALT, DEV_DASHBOARD_TOKEN_SALT } from "../../config.ts";
import { dbTestOptions, postJson, type TestApp, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { playSession, sessionEvents } from "../helpers/play.ts";
import { productionEnv } from "../helpers/env.ts";

const db = testDatabase();
const opts = dbTestOptions;
const NOW = new Date("2026-03-10T12:00:00.000Z");
const t = testApp(db.sql, { AUTH_FAIL_LIMIT: "0" });
const dev = testApp(db.sql, { APP_ENV: "development", AUTH_FAIL_LIMIT: "0" });
const prod = testApp(
  db.sql,
  productionEnv({
    DASHBOARD_TOKEN_MAP: "inj-star-token-kkkkkkkkkkkkkkkkk:*",
    AUTH_FAIL_LIMIT: "0",
  }),
);
for (const app of [t, dev, prod]) app.setNow(NOW);

const INGEST = { authorization: "Bearer dev-ingest-token" };
const READ = { authorization: "Bearer dev-dashboard-token" };
const ADMIN = { "x-admin-key": "test-admin-key-kkkkkkkkkkkkkkkkk" };
/** Returns a path segment for a string; a lone surrogate goes as its (invalid) UTF-8 bytes. */
function enc(value: string): string {
  let out = "";
  for (const ch of value) {
    const cu = ch.charCodeAt(0);
    if (ch.length === 1 && cu >= 0xd800 && cu <= 0xdfff) {
      const bytes = [0xe0 | (cu >> 12), 0x80 | ((cu >> 6) & 0x3f), 0x80 | (cu & 0x3f)];
      out += bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join("");
    } else out += encodeURIComponent(ch);
  }
  return out;
}

/** SQL (and shell, template, LIKE) metacharacters; each is used at both ends of an id. */
const META = [
  "'",
  '"',
  ";",
  "--",
  "\\",
  "%",
  "_",
  "$1",
  "' or '1'='1",
  "'; drop table raw_events; --",
  '"; select pg_sleep(5); --',
  "\u2018\u2019\u201c\u201d\u02bc",
  "`",
  "/*",
  "*/",
  "%25",
  "%41",
  "\\x27",
  "E'\\\\'",
  "$$",
  "::text",
  "a/b",
  "a?b#c",
  "a b",
  "+",
  "é😀",
  "\u202e",
  "\n\t",
  "${x}",
  "{{x}}",
  "%s%n",
  "\\u0000",
  "[0]",
  "null",
];

async function json(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 200)}`);
  }
}

Deno.test(
  "telemetry: metacharacters in ids, task_version, items and company_name round-trip verbatim",
  opts,
  async () => {
    for (const [i, s] of META.entries()) {
      const player = `${s}p${i}${s}`;
      const session = `${s}s${i}${s}`;
      const taskVersion = `${s}v${i}${s}`.slice(0, 64);
      const companyName = `${s}Co ${i}${s}`;
      const events = sessionEvents({
        player,
        session,
        pattern: [1, 2, 0],
        start: "2026-03-09T10:00:00Z",
        company_name: companyName,
      }).map((e) => ({ ...e, task_version: taskVersion, presented: [1, s, 3], input: [s, 2] }));

      const first = await t.request("/events", postJson(events[0]));
      assert.equal(first.status, 200, `${JSON.stringify(s)}: ${await first.clone().text()}`);
      const batch = await t.request("/events/batch", postJson({ events: events.slice(1) }));
      assert.deepEqual(await json(batch), { stored: events.length - 1, duplicates: 0 });
      // The same attempt again is recognized by its exact key: a duplicate, not a new row.
      assert.deepEqual(await json(await t.request("/events", postJson(events[0]))), {
        stored: true,
      });

      const fin = await t.request(`/sessions/${enc(session)}/finalize`, { method: "POST" });
      assert.equal(fin.status, 200, JSON.stringify(s));
      const summary = await json(fin) as Record<string, unknown>;
      assert.equal(summary.player_id, player);
      assert.equal(summary.session_id, session);
      assert.equal(summary.task_version, taskVersion);
      assert.equal(summary.company_id, companyIdFor(companyName, DEV_COMPANY_SALT));
      assert.equal(summary.n_attempts, events.length);

      const list = await t.request(`/players/${enc(player)}/sessions`);
      assert.equal(list.status, 200, JSON.stringify(s));
      assert.deepEqual(await json(list), [summary]);
      const model = await json(await t.request(`/model/state/${enc(player)}`)) as Record<
        string,
        unknown
      >;
      assert.equal(model.player_id, player);
      assert.equal(model.n_samples, 1);

      const rows = await db.sql<
        { player_id: string; task_version: string; presented: unknown[]; input: unknown[] }[]
      >`
        select player_id, task_version, presented, input from raw_events
        where session_id = ${session} order by sequence_index, attempt_index`;
      assert.equal(rows.length, events.length, JSON.stringify(s));
      for (const row of rows) {
        assert.equal(row.player_id, player);
        assert.equal(row.task_version, taskVersion);
        assert.deepEqual(row.presented, [1, s, 3]);
        assert.deepEqual(row.input, [s, 2]);
      }
    }
  },
);

Deno.test("LIKE wildcards in ids match only themselves", opts, async () => {
  const players = ["w%", "w_", "wX", "wabc", "w\\", "w%%", "W%"];
  for (const [i, player] of players.entries()) {
    await playSession(t, {
      player,
      session: `${player}-like-${i}`,
      pattern: [1, 1, 1],
      start: "2026-03-09T10:00:00Z",
    });
  }
  for (const player of players) {
    const list = await json(await t.request(`/players/${enc(player)}/sessions`)) as {
      player_id: string;
    }[];
    assert.deepEqual(list.map((s) => s.player_id), [player]);
    const model = await json(await t.request(`/model/state/${enc(player)}`)) as {
      player_id: string;
    };
    assert.equal(model.player_id, player);
  }
});

Deno.test(
  "engagement: metacharacters in session_id and user_external_id are stored and read verbatim",
  opts,
  async () => {
    for (const [i, s] of META.entries()) {
      const user = `${s}u${i}${s}`;
      const sessionId = `${s}e${i}${s}`;
      const body = {
        session_id: sessionId,
        user_external_id: user,
        started_at: "2026-03-10T08:00:00Z",
        duration_seconds: 600,
        sentiment_score: 0.7,
      };
      const ok = await t.request("/internal/ingest/session_summary", postJson(body, INGEST));
      assert.deepEqual(await json(ok), { status: "ok" }, JSON.stringify(s));
      const again = await t.request("/internal/ingest/session_summary", postJson(body, INGEST));
      assert.deepEqual(await json(again), { status: "duplicate" }, JSON.stringify(s));
      // One more quote makes another session: keys compare exactly.
      const other = await t.request(
        "/internal/ingest/session_summary",
        postJson(
          { ...body, session_id: `${sessionId}'`, started_at: "2026-03-09T08:00:00Z" },
          INGEST,
        ),
      );
      assert.deepEqual(await json(other), { status: "ok" }, JSON.stringify(s));

      const res = await t.request(`/api/dashboard/${enc(user)}`, { headers: READ });
      assert.equal(res.status, 200, JSON.stringify(s));
      const dash = await json(res) as {
        lastSession: { timestamp: string };
        streak: { days: number };
        avgDuration: { dailyDurations: number[] };
      };
      assert.equal(dash.lastSession.timestamp, "2026-03-10T08:10:00.000Z");
      assert.equal(dash.streak.days, 2);
      assert.deepEqual(dash.avgDuration.dailyDurations, [0, 0, 0, 0, 0, 10, 10]);

      const rows = await db.sql<{ session_id: string; user_external_id: string }[]>`
        select session_id, user_external_id from engagement_sessions
        where source = 'device' and user_external_id = ${user} order by started_at desc`;
      assert.deepEqual(rows.map((r) => ({ ...r })), [
        { session_id: sessionId, user_external_id: user },
        { session_id: `${sessionId}'`, user_external_id: user },
      ]);
    }
  },
);

Deno.test(
  "admin seed_company: metacharacters in the name are stored verbatim and hash as given",
  opts,
  async () => {
    for (const [i, s] of META.entries()) {
      const name = `${s}Acme ${i}${s}`;
      const res = await t.request("/admin/seed_company", postJson({ company_name: name }, ADMIN));
      assert.equal(res.status, 200, JSON.stringify(s));
      const seeded = await json(res) as Record<string, string>;
      const id = companyIdFor(name, DEV_COMPANY_SALT);
      assert.deepEqual(seeded, {
        company_id: id,
        company_name: name,
        dashboard_token: dashboardTokenFor(id, DEV_DASHBOARD_TOKEN_SALT),
      });
      const [row] = await db.sql<{ company_name: string }[]>`
        select company_name from company_registry where company_id = ${id}`;
      assert.equal(row.company_name, name);
      const info = await json(
        await t.request(`/dashboard/company?t=${seeded.dashboard_token}`),
      ) as Record<string, unknown>;
      assert.equal(info.company_id, id);
      // A metacharacter where the token goes is just a wrong token.
      const bad = await t.request(`/dashboard/summary?t=${enc(`${s}${seeded.dashboard_token}`)}`);
      assert.ok(bad.status === 403 || bad.status === 422, `${JSON.stringify(s)}: ${bad.status}`);
    }
  },
);

/** Returns why an error answer is not a clean, documented 4xx (or null when it is). */
async function unclean(res: Response): Promise<string | null> {
  const text = await res.text();
  if (res.status < 400 || res.status >= 500) return `status ${res.status}: ${text.slice(0, 120)}`;
  if ((res.headers.get("content-type") ?? "").startsWith("text/html")) return null;
  try {
    const body = JSON.parse(text) as { detail: unknown };
    if (res.status === 422 ? !Array.isArray(body.detail) : typeof body.detail !== "string") {
      return `bad detail: ${text.slice(0, 120)}`;
    }
  } catch {
    return `not JSON: ${text.slice(0, 120)}`;
  }
  return null;
}

/** Returns a signed-in page-session cookie of an app (dashboard token form). */
async function signIn(app: TestApp, token: string): Promise<string> {
  const res = await app.request("/engagement/sign-in", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `token=${token}`,
  });
  assert.equal(res.status, 303);
  return res.headers.get("set-cookie")!.split(";")[0];
}

/** Every place a client string enters: the request for a given bad string, as [label, send]. */
function entryPoints(bad: string, cookie: string): [string, () => Promise<Response>][] {
  const [event] = sessionEvents({
    player: "bad-p",
    session: "bad-s",
    pattern: [1, 1, 1],
    start: "2026-03-09T10:00:00Z",
  });
  const summary = {
    session_id: "bad-e",
    user_external_id: "bad-u",
    started_at: "2026-03-10T08:00:00Z",
    duration_seconds: 60,
    sentiment_score: 0.5,
  };
  const points: [string, () => Promise<Response>][] = [];
  for (const field of ["player_id", "session_id", "task_version", "company_name"]) {
    points.push([
      `POST /events ${field}`,
      () => t.request("/events", postJson({ ...event, [field]: `x${bad}y` })),
    ]);
    points.push([
      `POST /events/batch events[1].${field}`,
      () =>
        t.request(
          "/events/batch",
          postJson({
            events: [{ ...event, session_id: "bad-b" }, { ...event, [field]: `x${bad}` }],
          }),
        ),
    ]);
  }
  points.push([
    "POST /events presented[1]",
    () => t.request("/events", postJson({ ...event, presented: [1, `x${bad}`] })),
  ]);
  points.push([
    "POST /events input[0]",
    () => t.request("/events", postJson({ ...event, input: [bad] })),
  ]);
  points.push([
    "POST /events ts_utc",
    () => t.request("/events", postJson({ ...event, ts_utc: `2026-03-09T10:00:00${bad}Z` })),
  ]);
  for (const field of ["session_id", "user_external_id", "started_at"]) {
    points.push([
      `POST /internal/ingest/session_summary ${field}`,
      () =>
        t.request(
          "/internal/ingest/session_summary",
          postJson(
            { ...summary, [field]: `${summary[field as keyof typeof summary]}${bad}` },
            INGEST,
          ),
        ),
    ]);
  }
  points.push([
    "POST /admin/seed_company company_name",
    () => t.request("/admin/seed_company", postJson({ company_name: `Bad ${bad} Co` }, ADMIN)),
  ]);
  points.push([
    "POST /admin/seed_company company_id",
    () =>
      t.request(
        "/admin/seed_company",
        postJson({ company_name: "Bad", company_id: `c_${bad}` }, ADMIN),
      ),
  ]);
  const p = enc(`x${bad}y`);
  points.push(["GET /players/{id}/sessions", () => t.request(`/players/${p}/sessions`)]);
  points.push(["GET /model/state/{id}", () => t.request(`/model/state/${p}`)]);
  points.push([
    "POST /sessions/{id}/finalize",
    () => t.request(`/sessions/${p}/finalize`, { method: "POST" }),
  ]);
  points.push([
    "GET /api/dashboard/{id}",
    () => t.request(`/api/dashboard/${p}`, { headers: READ }),
  ]);
  points.push(["GET /dashboard/company?t=", () => t.request(`/dashboard/company?t=${p}`)]);
  points.push(["GET /players/{id} (page)", () => t.request(`/players/${p}`)]);
  points.push([
    "GET /engagement/{id} (page, signed in)",
    () => t.request(`/engagement/${p}`, { headers: { cookie } }),
  ]);
  points.push(["GET /company?t= (page)", () => t.request(`/company?t=${p}`)]);
  return points;
}

/** Returns the row counts of the tables a write would touch (reading a dashboard may add a user). */
async function tableCounts(): Promise<string> {
  const [row] = await db.sql`
    select (select count(*) from raw_events)::int as events,
      (select count(*) from engagement_sessions)::int as engagement,
      (select count(*) from company_registry)::int as companies,
      (select count(*) from play_sessions)::int as sessions`;
  return JSON.stringify(row);
}

Deno.test(
  "NUL in any field or path parameter is a clean 4xx and stores nothing",
  opts,
  async () => {
    const cookie = await signIn(t, "dev-dashboard-token");
    const before = await tableCounts();
    const problems: string[] = [];
    for (const [label, send] of entryPoints("\u0000", cookie)) {
      const res = await send();
      const status = res.status;
      const problem = await unclean(res);
      if (problem) problems.push(`${label} with NUL → ${problem}`);
      else assert.ok(status >= 400 && status < 500, label);
    }
    assert.equal(await tableCounts(), before, "nothing was stored");
    assert.deepEqual(problems, []);
  },
);

Deno.test(
  "lone UTF-16 surrogates are refused with a 4xx, never silently altered",
  opts,
  async () => {
    const cookie = await signIn(t, "dev-dashboard-token");
    const problems: string[] = [];
    for (const bad of ["\ud800", "\udc00", "\udfff\ud800"]) {
      const before = await tableCounts();
      for (const [label, send] of entryPoints(bad, cookie)) {
        const res = await send();
        const text = await res.clone().text();
        if (res.status >= 500) {
          problems.push(`${label} ${JSON.stringify(bad)} → ${res.status}`);
        } else if (res.status < 300 && label.startsWith("POST")) {
          // Accepted: UTF-8 (PostgreSQL, sha256 of the name) cannot hold a lone surrogate, so it
          // was replaced by U+FFFD: what is stored or hashed is not what was sent, and two
          // different values (e.g. "\ud800" and "\udc00") become the same key.
          problems.push(
            `${label} ${JSON.stringify(bad)} → ${res.status} ${text.slice(0, 160)} ` +
              "(accepted; replaced by U+FFFD instead of refused)",
          );
        }
      }
      const after = await tableCounts();
      if (after !== before) {
        problems.push(`rows changed for ${JSON.stringify(bad)}: ${before} → ${after}`);
      }
    }
    assert.deepEqual(problems, []);
  },
);

Deno.test(
  "ids a URL cannot carry ('.', '..') are refused at ingest, or stay reachable",
  opts,
  async () => {
    // URL parsing (WHATWG, also Deno.serve's) resolves "." and ".." segments, "%2e" included, so
    // /sessions/../finalize is /finalize: such a session could never be finalized or read.
    const problems: string[] = [];
    for (const id of [".", "..", "%2e", "%2E%2e"]) {
      const literal = decodeURIComponent(id);
      const [e] = sessionEvents({
        player: `dot-player-${id}`,
        session: literal,
        pattern: [1, 1, 1],
        start: "2026-03-09T10:00:00Z",
      });
      const stored = await t.request("/events", postJson(e));
      if (stored.status >= 400) continue; // refused: fine
      const fin = await t.request(`/sessions/${id}/finalize`, { method: "POST" });
      if (fin.status !== 200) {
        problems.push(
          `session_id ${JSON.stringify(literal)}: POST /events → ${stored.status}, but ` +
            `POST /sessions/${id}/finalize → ${fin.status} ${(await fin.text()).slice(0, 80)}`,
        );
      }
      const [p] = sessionEvents({
        player: literal,
        session: `dot-session-${id}`,
        pattern: [1, 1, 1],
        start: "2026-03-09T10:00:00Z",
      });
      const storedP = await t.request("/events", postJson(p));
      if (storedP.status >= 400) continue;
      await t.request(`/sessions/dot-session-${id}/finalize`, { method: "POST" });
      const read = await t.request(`/players/${id}/sessions`);
      const body = await read.text();
      if (read.status !== 200 || !body.includes(`dot-session-${id}`)) {
        problems.push(
          `player_id ${JSON.stringify(literal)}: stored, but GET /players/${id}/sessions → ` +
            `${read.status} ${body.slice(0, 80)}`,
        );
      }
    }
    assert.deepEqual(problems, []);
  },
);

// ---------------------------------------------------------------------------------------------
// Markup

const MARKUP = [
  "</script><script>alert(1)</script>",
  "<!--",
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '" onmouseover="alert(1)',
  "<iframe src=javascript:alert(1)>",
  "&lt;b&gt;&amp;",
  "\u2028\u2029</SCRIPT >",
  "]]><!--<script>x",
  "</title><style>*{}</style>",
];

interface Tag {
  name: string;
  raw: string;
}

/** Returns the tags of a document, reading quoted attribute values as a browser does. */
function tagsOf(html: string): Tag[] {
  const tags: Tag[] = [];
  for (let i = html.indexOf("<"); i !== -1; i = html.indexOf("<", i + 1)) {
    const start = /^<\/?([A-Za-z][A-Za-z0-9-]*|!doctype|!--)/i.exec(html.slice(i, i + 40));
    if (!start) continue;
    let j = i + 1;
    let quote: string | null = null;
    for (; j < html.length; j++) {
      const ch = html[j];
      if (quote) {
        if (ch === quote) quote = null;
      } else if (ch === '"' && html[j - 1] === "=") quote = ch;
      else if (ch === ">") break;
    }
    tags.push({ name: start[1].toLowerCase(), raw: html.slice(i, j + 1) });
    i = j;
  }
  return tags;
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** Returns the text of a document with character references decoded. */
function decodeEntities(html: string): string {
  return html.replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (m, ref: string) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" || ref[1] === "X"
        ? parseInt(ref.slice(2), 16)
        : parseInt(ref.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return ENTITIES[ref.toLowerCase()] ?? m;
  });
}

/** Returns the parsed island props of a page, checking no script text can break out. */
function islandProps(html: string): unknown[] {
  const props: unknown[] = [];
  const re = /<script type="application\/json" id="island-props-\d+">([\s\S]*?)<\/script>/g;
  for (const m of html.matchAll(re)) {
    assert.ok(!/[<>]/.test(m[1]), `island props hold raw < or >: ${m[1].slice(0, 120)}`);
    assert.ok(!/[\u2028\u2029]/.test(m[1]), "island props hold raw U+2028/U+2029");
    props.push(JSON.parse(m[1]));
  }
  return props;
}

/** Asserts a page rendered around `value` has exactly the structure it has around a benign id. */
function assertEscaped(label: string, html: string, benign: string) {
  const shape = (h: string) => tagsOf(h).map((tag) => tag.name).join(" ");
  assert.equal(shape(html), shape(benign), `${label}: the value changed the page's tag structure`);
  for (const tag of tagsOf(html)) {
    const unquoted = tag.raw.replace(/="[^"]*"/g, '=""');
    assert.ok(!/[\s/]on[a-z]+\s*=/i.test(unquoted), `${label}: event handler attribute ${tag.raw}`);
  }
  assert.ok(!html.includes("<!--"), `${label}: a comment opened`);
  const scripts = html.match(/<script\b[^>]*>/gi) ?? [];
  for (const s of scripts) {
    assert.match(
      s,
      /^<script (type="application\/json" id="island-props-\d+"|type="module" src="\/static\/islands\/[^"<>]+")>$/,
      `${label}: unexpected script tag ${s}`,
    );
  }
  islandProps(html);
}

async function page(app: TestApp, path: string, init?: RequestInit) {
  const res = await app.request(path, init);
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    html: await res.text(),
  };
}

Deno.test("markup in ids is escaped on every page and in island props", opts, async () => {
  const cookie = await signIn(t, "dev-dashboard-token");
  const ids = [...MARKUP.map((m, i) => `${m}${i}`), "benign-id"];
  for (const id of ids) {
    await playSession(t, {
      player: id,
      session: `${id}-session`,
      pattern: [1, 2, 0],
      start: "2026-03-09T10:00:00Z",
      company_id: "c_markup000001",
    });
  }
  const render = async (id: string) => {
    const p = enc(id);
    return {
      "player page": await page(t, `/players/${p}`),
      "player page (development, demo island)": await page(dev, `/players/${p}`),
      "engagement page (signed in)": await page(t, `/engagement/${p}`, { headers: { cookie } }),
      "engagement sign-in form": await page(t, `/engagement/${p}`),
      "engagement sign-in error": await page(t, `/engagement/${p}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `token=${enc(`wrong${id}`)}`,
      }),
      "player sign-in form (production)": await page(prod, `/players/${p}`),
      "player page, id too long (404 page)": await page(t, `/players/${enc(id.padEnd(129, "x"))}`),
      "company page with the id as token": await page(t, `/company?t=${p}`),
    };
  };
  const benign = await render("benign-id");
  for (const id of ids.slice(0, -1)) {
    const pages = await render(id);
    for (const [label, got] of Object.entries(pages)) {
      const base = benign[label as keyof typeof benign];
      assert.equal(got.status, base.status, `${label} ${JSON.stringify(id)}`);
      assert.equal(got.type, "text/html; charset=utf-8", label);
      assertEscaped(`${label} ${JSON.stringify(id)}`, got.html, base.html);
    }
    // The id is shown as text, exactly as given.
    for (const label of ["player page", "engagement page (signed in)"] as const) {
      assert.ok(
        decodeEntities(pages[label].html).includes(id),
        `${label} shows ${JSON.stringify(id)}`,
      );
    }
    assert.ok(decodeEntities(pages["player page"].html).includes(`${id}-session`));
    // Island props carry the id unchanged (the demo generator posts events for it).
    const props = islandProps(pages["player page (development, demo island)"].html);
    assert.ok(
      props.some((p) => (p as { playerId?: string }).playerId === id),
      `demo island props carry ${JSON.stringify(id)}`,
    );
  }
});

Deno.test(
  "/player?player_id= redirects to an encoded same-site path, whatever the id",
  opts,
  async () => {
    for (const id of [...MARKUP, ...META, "//evil.example", "https://evil.example", "\r\nX: y"]) {
      const res = await t.request(`/player?player_id=${enc(id)}`);
      assert.equal(res.status, 302);
      const location = res.headers.get("location") ?? "";
      const expected = id.trim() === "" ? "/" : `/players/${enc(id.trim())}`;
      assert.equal(location, expected, JSON.stringify(id));
      assert.ok(!/[\r\n]/.test(location) && !location.startsWith("//"));
    }
  },
);

Deno.test("JSON answers about hostile ids are JSON with nosniff, never HTML", opts, async () => {
  for (const id of MARKUP) {
    for (
      const path of [
        `/players/${enc(id)}/sessions`,
        `/model/state/${enc(id)}`,
        `/nothing/${enc(id)}`,
        `/sessions/${enc(id)}/finalize`,
      ]
    ) {
      const res = await t.request(path, { method: path.endsWith("finalize") ? "POST" : "GET" });
      assert.ok(res.status < 500, path);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/, path);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      await res.body?.cancel();
    }
  }
});
