/** The shared layout of every page (Fresh's `_app`): header, main column, footer. */
import type { ComponentChildren } from "preact";

/** Props of the layout. */
export interface LayoutProps {
  /** Heading of the page. */
  heading: string;
  /** A line under the heading. */
  lead?: ComponentChildren;
  /** Show the API docs link (off in production unless PUBLIC_DOCS=true). */
  docs: boolean;
  children: ComponentChildren;
}

/** Renders the header, the page heading, the content and the footer. */
export function Layout({ heading, lead, docs, children }: LayoutProps) {
  return (
    <>
      <header class="site">
        <div class="wrap site-row">
          <a class="brand" href="/">
            <span class="logo" aria-hidden="true">◍</span> Earth Task Telemetry
          </a>
          <nav aria-label="Main">
            <a href="/">Home</a>
            {docs && <a href="/docs">API docs</a>}
          </nav>
        </div>
      </header>
      <main class="wrap">
        <div class="page-head">
          <h1>{heading}</h1>
          {lead && <p class="lead">{lead}</p>}
        </div>
        {children}
      </main>
      <footer class="site wrap">
        Earth Task Telemetry · server-rendered pages; charts load as small islands.
      </footer>
    </>
  );
}
