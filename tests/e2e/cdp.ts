/**
 * A small Chrome DevTools Protocol driver for the browser tests: launches Debian's Chromium
 * headless with a fresh profile and talks to it over its WebSocket (no browser download, no npm
 * dependency). Only what the tests need: pages, navigation, evaluation, clicks, screenshots, and
 * the console errors and exceptions each page produced.
 */

const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
/** How long Chromium may take to print its DevTools address. */
const CHROMIUM_START_MS = 90_000;

type Params = Record<string, unknown>;
interface Message {
  id?: number;
  method?: string;
  params?: Params;
  result?: Params;
  error?: { message: string };
  sessionId?: string;
}

/** A running headless Chromium. */
export class Browser {
  #next = 1;
  #pending = new Map<number, { resolve(v: Params): void; reject(e: Error): void }>();
  #listeners = new Set<(m: Message) => void>();

  private constructor(
    private readonly ws: WebSocket,
    private readonly child: Deno.ChildProcess,
    private readonly profile: string,
  ) {
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as Message;
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result ?? {});
      } else {
        for (const l of this.#listeners) l(msg);
      }
    };
  }

  /** Starts Chromium and connects to it. */
  static async launch(): Promise<Browser> {
    const profile = await Deno.makeTempDir({ prefix: "ett-chromium-" });
    const child = new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let url: string | null = null;
    // A real deadline: a Chromium that prints nothing must not block the read forever, and a
    // loaded machine (2 cores shared with other test runs) can take well over 20 s to start it.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), CHROMIUM_START_MS);
    });
    while (url === null) {
      const next = await Promise.race([reader.read(), expired]);
      if (next === null || next.done) break;
      text += next.value;
      url = /DevTools listening on (ws:\/\/\S+)/.exec(text)?.[1] ?? null;
    }
    clearTimeout(timer);
    // Keep draining stderr so Chromium never blocks on a full pipe.
    (async () => {
      try {
        while (!(await reader.read()).done) { /* discard */ }
      } catch { /* closed */ }
    })();
    if (url === null) {
      // A Chromium that exited at start (a crash, a missing library) is already gone: kill()
      // would throw "Child process has already terminated" and hide what Chromium printed.
      const exited = await Promise.race([
        child.status.then((s) => `exited with code ${s.code}`),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 100)),
      ]);
      if (exited === null) {
        try {
          child.kill("SIGKILL");
        } catch { /* exited meanwhile */ }
      }
      throw new Error(
        `Chromium (${CHROMIUM}) ${exited ?? "did not report its DevTools address"} within ` +
          `${CHROMIUM_START_MS / 1000} s of its start; it printed:\n${text}`,
      );
    }
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("cannot connect to Chromium"));
    });
    return new Browser(ws, child, profile);
  }

  /** Sends a command (to a page when `sessionId` is given) and returns its result. */
  send(method: string, params: Params = {}, sessionId?: string): Promise<Params> {
    const id = this.#next++;
    this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  /** Registers a listener for protocol events; returns a function that removes it. */
  on(listener: (m: Message) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Opens a new page (tab) with the given viewport. */
  async newPage(width = 1280, height = 900): Promise<Page> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", { targetId, flatten: true });
    const page = new Page(this, String(sessionId));
    await page.init(width, height);
    return page;
  }

  /** Closes the browser and removes its profile. */
  async close(): Promise<void> {
    try {
      await this.send("Browser.close");
    } catch { /* already gone */ }
    this.ws.close();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await this.child.status;
    clearTimeout(timer);
    await Deno.remove(this.profile, { recursive: true }).catch(() => {});
  }
}

/** One tab. */
export class Page {
  /** Console errors, uncaught exceptions and CSP reports seen on this page. */
  readonly errors: string[] = [];
  #loads = 0;

  constructor(private readonly browser: Browser, private readonly sessionId: string) {
    browser.on((m) => {
      if (m.sessionId !== sessionId) return;
      if (m.method === "Page.loadEventFired") this.#loads++;
      if (m.method === "Runtime.exceptionThrown") {
        this.errors.push(JSON.stringify(m.params?.exceptionDetails));
      }
      if (m.method === "Log.entryAdded") {
        const entry = m.params?.entry as { level: string; text: string } | undefined;
        if (entry?.level === "error") this.errors.push(entry.text);
      }
      if (m.method === "Runtime.consoleAPICalled" && m.params?.type === "error") {
        this.errors.push(JSON.stringify(m.params.args));
      }
    });
  }

  /** Sends a command to this page. */
  send(method: string, params: Params = {}): Promise<Params> {
    return this.browser.send(method, params, this.sessionId);
  }

  #viewport = { width: 1280, height: 900 };

  /** Enables the domains the driver listens to and sets the viewport. */
  async init(width: number, height: number): Promise<void> {
    await this.send("Page.enable");
    await this.send("Runtime.enable");
    await this.send("Log.enable");
    await this.setViewport(width, height);
  }

  /** Sets the viewport size (a phone is 390 × 844). */
  async setViewport(width: number, height: number): Promise<void> {
    this.#viewport = { width, height };
    await this.send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: width < 600,
    });
  }

  /** Navigates and waits for the load event. */
  async goto(url: string, timeoutMs = 15000): Promise<void> {
    const before = this.#loads;
    await this.send("Page.navigate", { url });
    await this.waitUntil(() => this.#loads > before, timeoutMs, `load of ${url}`);
  }

  /** Waits for the next load event after `action` (e.g. a click that reloads the page). */
  async waitForReload(action: () => Promise<unknown>, timeoutMs = 30000): Promise<void> {
    const before = this.#loads;
    await action();
    await this.waitUntil(() => this.#loads > before, timeoutMs, "page reload");
  }

  private async waitUntil(ok: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Returns the value of a JavaScript expression in the page (promises are awaited). */
  async evaluate<T>(expression: string): Promise<T> {
    const res = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    const details = res.exceptionDetails as { text: string } | undefined;
    if (details) throw new Error(`evaluate failed: ${JSON.stringify(details)}`);
    return (res.result as { value: T }).value;
  }

  /** Waits until an expression is truthy in the page. */
  async waitFor(expression: string, timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.evaluate<boolean>(`Boolean(${expression})`))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Clicks the first element matching a CSS selector. */
  async click(selector: string): Promise<void> {
    const found = await this.evaluate<boolean>(
      `(() => { const el = document.querySelector(${JSON.stringify(selector)});` +
        ` if (!el) return false; el.click(); return true; })()`,
    );
    if (!found) throw new Error(`no element matches ${selector}`);
  }

  /** Presses and releases a key ("Tab", "Enter" or " ") on the focused element. */
  async key(key: "Tab" | "Enter" | " "): Promise<void> {
    const codes = {
      Tab: { code: "Tab", windowsVirtualKeyCode: 9 },
      Enter: { code: "Enter", windowsVirtualKeyCode: 13, text: "\r" },
      " ": { code: "Space", windowsVirtualKeyCode: 32, text: " " },
    }[key];
    await this.send("Input.dispatchKeyEvent", { type: "keyDown", key, ...codes });
    await this.send("Input.dispatchKeyEvent", { type: "keyUp", key, ...codes });
  }

  /**
   * Saves a PNG screenshot of the whole page. The viewport is first made as tall as the page and
   * the page given time to settle: capturing beyond the viewport resizes it during the capture,
   * and chart.js clears a resized canvas before it redraws, so charts came out blank now and then.
   */
  async screenshot(path: string): Promise<void> {
    const content = async () =>
      (await this.send("Page.getLayoutMetrics")).cssContentSize as {
        width: number;
        height: number;
      };
    const { width, height } = this.#viewport;
    const tall = Math.ceil((await content()).height);
    if (tall > height) {
      await this.setViewport(width, tall);
      await new Promise((r) => setTimeout(r, 400));
    }
    const size = await content();
    const res = await this.send("Page.captureScreenshot", {
      format: "png",
      clip: { x: 0, y: 0, width: size.width, height: size.height, scale: 1 },
    });
    if (tall > height) await this.setViewport(width, height);
    const bin = atob(String(res.data));
    await Deno.writeFile(path, Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  }
}
