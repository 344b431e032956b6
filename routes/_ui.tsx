/** Small building blocks shared by the pages (server-only; no JavaScript ships for them). */
import type { ComponentChildren } from "preact";
import type { IslandProps } from "../islands/mod.ts";
import { chartAlt, weekdayLabel } from "../islands/format.ts";
import { Island } from "./render.tsx";

/** A titled box. */
export function Card(
  { title, children, wide }: { title?: string; children: ComponentChildren; wide?: boolean },
) {
  return (
    <section class={wide ? "card wide" : "card"}>
      {title && <h2>{title}</h2>}
      {children}
    </section>
  );
}

/** One headline number with its label and an optional hint. */
export function Metric(
  { label, value, hint, change }: {
    label: string;
    value: string;
    hint?: string | undefined;
    /** The change from the previous period, in words (company tiles). */
    change?: string | undefined;
  },
) {
  return (
    <div class="metric">
      <div class="metric-value">{value}</div>
      <div class="metric-label">{label}</div>
      {hint && <div class="metric-hint">{hint}</div>}
      {change && <div class="metric-change">{change}</div>}
    </div>
  );
}

/** A row of metrics. */
export function Metrics({ children }: { children: ComponentChildren }) {
  return <div class="metrics">{children}</div>;
}

const BADGE_MARK = { ok: "✓", warn: "!", bad: "✕", muted: "–" } as const;

/**
 * A label in words, with a tone shown by colour and by a mark (so never by colour alone): ok
 * (green ✓), warn (amber !), bad (red ✕), muted (grey –).
 */
export function Badge(
  { tone, children }: { tone: "ok" | "warn" | "bad" | "muted"; children: ComponentChildren },
) {
  return (
    <span class={`badge badge-${tone}`}>
      <span class="badge-mark" aria-hidden="true">{BADGE_MARK[tone]}</span>
      {children}
    </span>
  );
}

/** A friendly empty or error state. */
export function Notice(
  { title, children, tone = "info" }: {
    title: string;
    children?: ComponentChildren;
    tone?: "info" | "warn" | "error";
  },
) {
  return (
    <section class={`notice notice-${tone}`}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** Seven day cells (oldest first): a dot filled on active days, and minutes when given. */
export function DayStrip(
  { days, active, minutes }: { days: string[]; active: boolean[]; minutes?: number[] },
) {
  return (
    <ol class="days" aria-label="Last seven days">
      {days.map((day, i) => (
        <li class={active[i] ? "day on" : "day"}>
          <span class="day-name">{i === days.length - 1 ? "Today" : weekdayLabel(day)}</span>
          <span class="dot" />
          <span class="sr-only">{active[i] ? "active" : "no session"}</span>
          {minutes && (
            <span class="day-min">
              <span class="day-min-n">{minutes[i]}</span> <span class="day-min-u">min</span>
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}

/** A key/value list of `<Fact>` rows. */
export function Facts({ children }: { children: ComponentChildren }) {
  return <dl class="facts">{children}</dl>;
}

/** One row of a `<Facts>` list. */
export function Fact({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

/** The dashboard-token form (posts back to the same page). */
export function LoginForm(
  { action, subject, error }: { action: string; subject: string; error?: string },
) {
  return (
    <section class="card login">
      <h2>Sign in with a dashboard token</h2>
      <p>
        {subject}{" "}
        is private. Enter the dashboard token you were given; the server checks it and keeps you
        signed in with a cookie for a few hours. The token itself is never stored in the browser.
      </p>
      {error && <p class="form-error" role="alert">{error}</p>}
      <form method="post" action={action} class="inline-form">
        <label for="token">Dashboard token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          required
          maxLength={256}
        />
        <button type="submit" class="button">Sign in</button>
      </form>
    </section>
  );
}

/**
 * A chart island; its text alternative, carrying every value, is computed here on the server so
 * no page ships the code for it.
 */
export function ChartIsland({ props }: { props: Omit<IslandProps<"Chart">, "alt"> }) {
  return <Island name="Chart" props={{ ...props, alt: chartAlt(props.title, props.spec) }} />;
}
